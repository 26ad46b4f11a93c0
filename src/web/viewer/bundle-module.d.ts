// The viewer bundle (scripts/build-web.ts writes public/js/viewer.js; gitignored): embedded as a file path, so
// typechecking works before the first build.
declare module '*/public/js/viewer.js' {
  const path: string
  export default path
}
