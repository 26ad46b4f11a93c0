// The desktop's scripts in one bundle (public/js/desktop.js): the workstation's layout (splitters, columns, tool bar,
// header, dialogs), the table, the drop zone and the autoloaders. They talk over the event bus (shared/bus.ts) with
// each other and with the viewer (its own bundle, viewer/main.ts).
// The desktop region may be swapped in again by htmx, which runs this script again: listen once.
import { firstRun } from '../shared/bus'
import { wireAutoloader } from './autoloader'
import { wireColumns } from './columns'
import { wireDropzone } from './dropzone'
import { wireSplitters } from './splitters'
import { wireTable } from './table'
import { wireTools } from './tools'
import { wireWorkstation } from './workstation'
import { wireUrlCase } from './url-case'

if (firstRun('desktop')) {
  // The splitters' arrow keys come before the table's (a focused splitter is not a step through the rows).
  wireSplitters()
  wireColumns()
  wireTools()
  // The drop zone and autoloader listen to the table's selection: they subscribe before the table can emit.
  wireDropzone()
  wireAutoloader()
  wireTable()
  wireWorkstation()
  // A URL call's case (#case=...): after the table and autoloader listen.
  wireUrlCase()
  // The header's buttons work from here on (tests wait for it: the bundle loads after an htmx swap brings it).
  document.documentElement.dataset.desktop = 'wired'
}
