// The asset pack (scripts/build-assets.ts writes public/dist/assets.pack; gitignored): embedded as a file path, so
// typechecking works before the first build.
declare module '*/public/dist/assets.pack' {
  const path: string
  export default path
}
