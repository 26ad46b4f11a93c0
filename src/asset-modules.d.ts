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
