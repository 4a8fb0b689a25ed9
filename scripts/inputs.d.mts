export const STAMP: string;
/** sha256 over the paths and contents of what dist/ is built from, under `root`. */
export function inputsDigest(root: string): string;
