// The DICOM worker bundle (scripts/build-web.ts writes public/js/dicom-worker.js; generated) embedded by src/http/static-assets.ts as file paths.
declare module '*/public/js/dicom-worker.js' {
  const path: string
  export default path
}
