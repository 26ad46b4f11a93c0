// Files imported as text (templates, conf examples) or as embedded file paths (assets).
declare module '*.mustache' {
  const text: string
  export default text
}
declare module '*.example' {
  const text: string
  export default text
}
declare module '*.css' {
  const path: string
  export default path
}
declare module '*.min.js' {
  const path: string
  export default path
}
// dcmjs ships no type declarations; nora reads headers through src/dicom/dicom-header.ts only.
declare module 'dcmjs'
// Browser scripts served as files (embedded by `with { type: 'file' }`), not imported as modules.
declare module '*/public/js/upload.js' {
  const path: string
  export default path
}
declare module '*/public/js/table.js' {
  const path: string
  export default path
}
declare module '*/public/js/pacs.js' {
  const path: string
  export default path
}
declare module '*/public/js/batchtool.js' {
  const path: string
  export default path
}
declare module '*/public/js/gridstats.js' {
  const path: string
  export default path
}
declare module '*/public/js/dropzone.js' {
  const path: string
  export default path
}
declare module '*/public/js/autoloader.js' {
  const path: string
  export default path
}
