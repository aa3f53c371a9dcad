export interface Options {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Debian's binary; tests point it into a temporary directory. */
  systemPath?: string;
  uid?: number;
}
export interface Found {
  path: string;
  version: string;
  from: string;
}
export function onPath(name: string, env?: NodeJS.ProcessEnv): string | undefined;
export function candidates(options?: Options): { path: string; from: string }[];
export function versionOf(
  path: string,
  env?: NodeJS.ProcessEnv,
): { version: string; failure?: undefined } | { version?: undefined; failure: string };
/** `problem`: $CHROMIUM_PATH is set and does not run. */
export function findChromium(options?: Options): (Found & { problem?: undefined }) | { problem: string; path?: undefined } | undefined;
export function installCommands(options?: Options): string[][] | undefined;
export function main(options?: Options & { out?: (line: string) => void; err?: (line: string) => void }): number;
