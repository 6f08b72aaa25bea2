import { describe, expect, it } from 'vitest';
import { parseRequirements, pinnedVersion, pinnedVersions } from '../../localstack/engine';

describe('localstack/requirements.txt pins', () => {
  it('reads exact pins, skipping comments and blank lines, with names normalized as pip compares them', () => {
    const pins = parseRequirements('# engine\nministack==1.5.33\n\ncfn_lint==1.58.0  # linter\n', 'r.txt');
    expect([...pins]).toEqual([
      ['ministack', '1.5.33'],
      ['cfn-lint', '1.58.0'],
    ]);
  });

  it('refuses a requirement that is not an exact pin, naming the file and line', () => {
    expect(() => parseRequirements('ministack==1.5.33\ncfn-lint>=1.58\n', 'r.txt')).toThrow(
      'r.txt:2: "cfn-lint>=1.58" must pin one package exactly (name==X.Y.Z)',
    );
    expect(() => parseRequirements('-r other.txt\nministack==1.5.33\n', 'r.txt')).toThrow('r.txt:1:');
  });

  it('refuses a file without the engine', () => {
    expect(() => parseRequirements('cfn-lint==1.58.0\n', 'r.txt')).toThrow(
      'r.txt must pin ministack exactly (ministack==X.Y.Z)',
    );
  });

  it('pins both the engine and cfn-lint in the project file', () => {
    expect([...pinnedVersions().keys()]).toEqual(expect.arrayContaining(['ministack', 'cfn-lint']));
    expect(pinnedVersion()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pinnedVersion('cfn-lint')).toMatch(/^\d+\.\d+\.\d+$/);
    expect(() => pinnedVersion('checkov')).toThrow('must pin checkov exactly');
  });
});
