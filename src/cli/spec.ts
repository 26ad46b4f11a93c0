/**
 * What every command takes: its words, positional arguments and options. The parser checks a command line against
 * its command's entry (check-args.ts) and the help text is made from the same entry (help.ts), so what is refused
 * and what is documented cannot drift apart. Option arities and value names are in OPTIONS (args.ts).
 */

export type Group = 'server' | 'project' | 'jobs' | 'pacs' | 'roi' | 'transform' | 'markers' | 'admin' | 'hidden'

export interface CommandSpec {
  /**
   * How the command is called, without `nora`: words (`pacs pull`) and, for flag commands, the flag that selects
   * it (`--import`, `--admin adduser`). Plain words must be the first positional words of the command line.
   */
  name: string
  /** Flag commands: the options whose presence selects this command (any of them). */
  by?: string[]
  /**
   * Positional words after the name: `NODE` (one), `[NODE]` (optional), `UID...` (one or more), `[WORD...]` (any
   * number); a word with `|` (`db|slurm|all`) must be one of those.
   */
  args?: string[]
  /**
   * Options it reads besides --home, --user and --help: `name` (optional), `name!` (required), `a|b` (one or the
   * other, not both; `a|b!`: exactly one).
   */
  options?: string[]
  /** Acts on a project: `-p PROJECT` (the command says when it is missing). */
  project?: boolean
  group: Group
  /** One line for `nora --help`. */
  summary: string
  /** More for `nora COMMAND --help`. */
  details?: string
}

export const COMMANDS: CommandSpec[] = [
  // The server
  {
    name: 'init',
    group: 'server',
    summary: 'create conf/ from the examples, the database and the first admin',
    details:
      'Creates DIR/conf/*.conf from the shipped examples (existing files are kept), the data root and the database,\nand on the first run the user "admin" with a random password printed once.',
  },
  {
    name: 'start',
    options: ['timeout'],
    group: 'server',
    summary: 'run the server in the background; prints the URL',
    details:
      'Starts the server in the background (pid file and log in the data root), waits until /api/health answers\n(--timeout, default 30 s) and prints the URL. Refuses when nora already runs or the port is taken.',
  },
  { name: 'stop', group: 'server', summary: 'stop the server', details: 'Stops the server started by nora start (SIGTERM, SIGKILL after 15 s).' },
  {
    name: 'status',
    group: 'server',
    summary: 'process, ports, database, queue, free disk (exit 1 when down)',
    details: 'Prints process, ports, database, queue and free disk. Exit code 1 when the server is down.',
  },
  { name: 'serve', group: 'server', summary: 'run the server in the foreground', details: 'Runs the server in the foreground; Ctrl-C stops it.' },
  {
    name: 'test',
    args: ['[db|slurm|sge|dicom|ldap|email|all]', '[USER|ADDRESS]'],
    group: 'server',
    summary: 'self-tests, each printing OK or what is wrong',
    details:
      'Self-tests: each line says OK or what is wrong (slurm, sge: submits a tiny job to each queue of conf/slurm.conf,\nwith timings; dicom: C-ECHO to every node of conf/pacs.conf; ldap: connects to auth.ldap.url and binds its service\naccount; ldap USER: signs in as USER, password from NORA_LDAP_PASSWORD or standard input, and prints the entry,\nits groups and what auth.ldap.groupMap gives; email: connects to the server of conf/smail.conf; email ADDRESS: sends\na test mail there). Default all. Exit code 1 if any failed.',
  },
  { name: '--version', by: ['version'], group: 'server', summary: 'the version of nora' },

  // Projects
  {
    name: '--createproject',
    by: ['createproject'],
    args: ['[MODULE]'],
    options: ['policy', 'dates'],
    group: 'project',
    summary: 'create a project, empty or from a module (a template in conf/modules/MODULE.json)',
    details: `--policy keep (default) or pseudonymize[:sequential]; --dates keep (default) or remove for pseudonymised projects.
MODULE: a project template conf/modules/MODULE.json (JSON5): description, policy, dates, naming, keepdicom,
batches (saved batches by name), autoexec (one of them, run on every import), autoloaders (presets); everything in
it is checked before the project is made, and --policy/--dates win over it. nora init writes the shipped modules.`,
  },
  {
    name: '--import',
    by: ['import'],
    project: true,
    options: ['patients_id', 'studies_id', 'pattern', 'extrafiles_filter', 'autoexec_queue', 'handle_job_result'],
    group: 'project',
    summary: 'import DICOM (folder, zip, tar, tar.gz) as NIfTI + JSON sidecars',
    details: `Imports with a progress bar and a summary; exit 1 if anything failed.
  --patients_id PIZ, --studies_id SID   put everything into this subject / study
  --pattern REGEX                       named groups patients_id / studies_id applied to each file's path
  --extrafiles_filter nii,hdr           keep non-DICOM files with these extensions
  --autoexec_queue NAME|DEFAULT         then run that saved batch (DEFAULT: the project's queue) on the imported
                                        studies, and wait for it
  --handle_job_result                   print DONE as the last line once the import (and that batch) has ended`,
  },
  {
    name: '--filter',
    by: ['filter'],
    project: true,
    options: ['json'],
    group: 'project',
    summary: 'studies with files matching the file-search language (t1*/s0*.nii & STAG:x)',
    details: 'Prints one PID#SID a line, or with --json an array of rows.',
  },
  {
    name: '--reading',
    by: ['reading'],
    project: true,
    options: ['csv|json!'],
    group: 'project',
    summary: "a reading's results (Reading Tool) as CSV or JSON on stdout",
    details:
      'nora -p PROJECT --reading ID --csv prints one row per reader × case × repetition (stage, mode, started and\nsubmitted times, active seconds, every form value); --json prints the results as a JSON array. Reading admins\nget every reader\'s results, readers their own.',
  },
  {
    name: '--add',
    by: ['add'],
    project: true,
    options: ['addtag'],
    group: 'project',
    summary: 'register files inside the project folder (PID/SID/series/file), optionally tagged',
  },
  { name: '--del', by: ['del'], project: true, group: 'project', summary: 'delete files' },
  { name: '--del_pat', by: ['del_pat'], project: true, group: 'project', summary: 'delete subjects/studies (folders move to data/trash)' },
  {
    name: '--addtag',
    by: ['addtag', 'rmtag'],
    project: true,
    options: ['addtag|rmtag!', 'select!'],
    group: 'project',
    summary: 'add tags to or remove tags from the files matching PATTERN',
  },
  {
    name: '--select',
    by: ['select'],
    project: true,
    options: ['psid', 'json', 'byfilename'],
    group: 'project',
    summary: 'files matching a file pattern',
    details:
      'PATTERN is subfolder/filename with * and _ (one character), optionally PID#SID/ first (or --psid PID#SID).\nPrints one absolute path a line; --json an array of files; --json --byfilename grouped by path in the study.',
  },
  {
    name: '--exportmeta',
    by: ['exportmeta'],
    project: true,
    options: ['keys'],
    group: 'project',
    summary: 'CSV of the JSON files matching PATTERN in each study: one row per study, patient and study info first',
    details: `PATTERN: file patterns as for -s (META/radio*.json; * = every JSON file of the study; several, or
space-separated in one word, add up). Columns: patients_id, studies_id, PatientName, PatientBirthDate, PatientSex,
StudyDate, StudyDescription, Modality, StudyInstanceUID, then FILE.KEY... for every value of the files (FILE: the
path in the study without .json; objects are walked into, arrays written as JSON).
  --keys a.b,*.mask.volume   only these key sequences: the first part names the JSON file (its path without .json,
                             or its name alone), the others the keys inside it (array items by index); * matches any
                             run of characters within a part. Missing values are empty cells.
Files that are not JSON are named on stderr and left out (exit 1).`,
  },
  { name: '--out', by: ['out'], project: true, options: ['psid'], group: 'project', summary: 'absolute path of an output file' },
  { name: '--pathout', by: ['pathout'], project: true, options: ['psid'], group: 'project', summary: 'absolute path of an output folder' },
  {
    name: '--policy',
    by: ['policy', 'naming', 'keepdicom', 'dates'],
    project: true,
    options: ['policy', 'naming', 'keepdicom', 'dates'],
    group: 'project',
    summary: "change how the project imports (project admins)",
    details: `Applies to what is imported from now on.
  --policy keep|pseudonymize[:sequential]   keep identities, or give patients pseudonyms
  --naming 'FOLDER/FILE'    series naming, default '{protocol|description}/s{series:3}'; fields protocol,
                            description, series, modality, studydate
  --keepdicom yes|no        keep each series' original DICOM as tar.gz (default yes)
  --dates keep|remove       pseudonymised projects: keep dates and times as acquired (default) or remove them
                            (DICOM PS3.15 Basic Profile)`,
  },
  { name: '--pseudonyms', by: ['pseudonyms'], project: true, group: 'project', summary: 'print the pseudonym mapping (project admins)' },
  {
    name: '--sql',
    by: ['sql'],
    options: ['csv', 'write'],
    group: 'project',
    summary: 'site admins: run one SQL statement; read-only unless --write',
    details: 'Prints the rows as JSON, or as CSV with --csv. A statement the database refuses prints its message on one line.',
  },

  // Jobs
  {
    name: '--launch',
    by: ['launch', 'launchfile'],
    project: true,
    options: ['launch|launchfile!', 'select-studies', 'throwerror', 'handle_job_result'],
    group: 'jobs',
    summary: 'run a batch of bash/python/matlab jobs over studies or subjects and wait for it',
    details:
      'Runs on the executor of jobs.queue (local, Slurm or SGE), shows progress, prints a summary; exit 1 when any\nrun failed. --select-studies FILTER picks the studies; --throwerror stops the batch at the first failed run.',
  },
  {
    name: '--launch_autoexec',
    by: ['launch_autoexec'],
    project: true,
    options: ['autoexec_queue', 'handle_job_result'],
    group: 'jobs',
    summary: "run the project's autoexecution queue (or --autoexec_queue NAME) on one study, wait for it",
  },
  {
    name: '--autoexec',
    by: ['autoexec'],
    project: true,
    group: 'jobs',
    summary: "make a saved batch the project's autoexecution queue (none: no queue)",
    details: 'The queue runs on every study an upload or DICOM receive brings in (routes.conf autoexecQueue may name another).',
  },
  {
    name: 'jobs',
    options: ['project', 'state', 'json', 'kill', 'suspend', 'resume', 'rerun-errors', 'launch', 'launchfile'],
    group: 'jobs',
    summary: 'list, kill, suspend, resume batch jobs; rerun the failed runs of a batch',
    details: `Lists batch jobs (queued, running, error, done; says when the scheduler is down), kills, suspends or resumes
one (needs write rights on its project), or reruns the runs of a batch that ended in error as a new batch (the
same jobs, or those of --launchfile/--launch) and waits for it.`,
  },

  // PACS
  { name: 'pacs nodes', options: ['json'], group: 'pacs', summary: 'the nodes of conf/pacs.conf' },
  { name: 'pacs echo', args: ['[NODE]'], options: ['json'], group: 'pacs', summary: 'C-ECHO one node, or every node' },
  {
    name: 'pacs find',
    args: ['NODE', '[KEY=VALUE...]'],
    options: ['level', 'key', 'json'],
    group: 'pacs',
    summary: 'C-FIND at patient, study or series level',
    details: `KEY is a DICOM keyword: -k PatientID=12345 -k PatientName='Doe^J*' -k StudyDate=2001-2003
(dates: 2003, 200305, 2003-05-05, ranges with -, open ends). A series query needs -k StudyInstanceUID=UID.
KEY=VALUE words after NODE, and the level as a word (patient, study, series), work too.`,
  },
  {
    name: 'pacs pull',
    args: ['NODE'],
    project: true,
    options: ['study', 'from-file'],
    group: 'pacs',
    summary: 'retrieve studies (--study UID..., --from-file with one UID a line) into the project',
    details: `C-MOVE to dicom.aet, or C-GET as the node's retrieve says; each study is C-FINDed first for its instance
count. A running nora serve does the work (the pull survives restarts); else this command does it in-process.
Prints each study's state and a summary; exit 1 if any failed.`,
  },
  { name: 'pacs pulls', options: ['project', 'json'], group: 'pacs', summary: "the pulls and their studies' states" },
  {
    name: 'pacs push',
    args: ['NODE'],
    project: true,
    options: ['study!', 'series'],
    group: 'pacs',
    summary: "C-STORE studies' (or, with --series, one study's series') kept DICOM originals to NODE",
  },

  // ROIs
  {
    name: 'roi seg',
    args: ['ROI'],
    project: true,
    options: ['out|push!', 'reference', 'label'],
    group: 'roi',
    summary: 'a saved ROI (PID/SID/rois/NAME.nii.gz) as a DICOM Segmentation: --out FILE.dcm or --push NODE',
    details: `The SEG references the original DICOM series of the ROI's reference image (named by the ROI's JSON sidecar,
or --reference PID/SID/FOLDER/FILE.nii), which the project must have kept (the default; not with keepdicom no). --push sends it by
C-STORE to a node of conf/pacs.conf (write right on the project). --label names the segment (default: the ROI).`,
  },
  {
    name: 'roi stats',
    options: ['image!', 'roi!', 'json', 'project'],
    group: 'roi',
    summary: 'median, IQR, mean, std, volume (mL), area (cm², single-slice ROIs) of an image inside a mask',
    details: `Percentiles as numpy.percentile (linear), std with ddof 0; NaN voxels are skipped. An image on another grid
than the mask is resampled (trilinear) onto the mask's grid first. The first volume of a 4-D image is used.
Files are NIfTI (.nii, .nii.gz) on disk, or with -p PROJECT paths inside the project (PID/SID/FOLDER/FILE;\nreading needs the read right).`,
  },
  {
    name: 'roi morph',
    args: ['erode|dilate|open|close'],
    options: ['roi!', 'iterations', 'out!', 'project'],
    group: 'roi',
    summary: 'erosion, dilation, opening, closing with the 6-neighbourhood (--iterations N, default 1)',
    details: `As scipy.ndimage's binary_* with generate_binary_structure(3, 1): outside the grid counts as empty, so erosion
(and closing's erosion) clears the faces of the grid. A single-slice mask uses the 4-neighbourhood in its slice.
Files are NIfTI (.nii, .nii.gz) on disk, or with -p PROJECT paths inside the project (PID/SID/FOLDER/FILE;\nreading needs the read right, --out the write right, and registers the output in the archive).`,
  },
  {
    name: 'roi set',
    args: ['union|intersect|diff', 'A', 'B'],
    options: ['out!', 'project'],
    group: 'roi',
    summary: 'union, intersection or difference (A without B) of two masks on the same grid',
    details: `Files are NIfTI (.nii, .nii.gz) on disk, or with -p PROJECT paths inside the project (PID/SID/FOLDER/FILE;\nreading needs the read right, --out the write right, and registers the output in the archive).`,
  },
  {
    name: 'roi salt',
    options: ['roi!', 'min!', 'connected', 'out!', 'project'],
    group: 'roi',
    summary: 'remove the connected components of fewer than --min voxels (--connected 6 or 26, default 6)',
    details: `Files are NIfTI (.nii, .nii.gz) on disk, or with -p PROJECT paths inside the project (PID/SID/FOLDER/FILE;\nreading needs the read right, --out the write right, and registers the output in the archive).`,
  },
  {
    name: 'roi grow',
    options: ['image!', 'seed!', 'low!', 'high!', 'connected', 'out!', 'project'],
    group: 'roi',
    summary: 'region growing: the voxels in [--low, --high] connected to --seed i,j,k (--connected 6 or 26)',
    details: `The seed is a voxel index (0-based i,j,k of the image's grid) whose value must lie in [low, high]; the mask
gets the image's geometry.
Files are NIfTI (.nii, .nii.gz) on disk, or with -p PROJECT paths inside the project (PID/SID/FOLDER/FILE;\nreading needs the read right, --out the write right, and registers the output in the archive).`,
  },

  // Transforms
  {
    name: 'transform apply',
    options: ['image!', 'affine|warp!', 'grid', 'voxel', 'interp', 'out!', 'project'],
    group: 'transform',
    summary: 'move an image by a 4x4 world matrix (header only, or resampled onto --grid) or warp it by a displacement field',
    details: `--affine M.txt: 4 rows of 4 numbers, the world (RAS mm) matrix mapping the moving image to the fixed space. Alone, the
header's sform/qform become M·A and the voxels stay. With --grid REF.nii (its matrix) or --grid world (the bounding box of the
moved image, axes along R, A, S, --voxel MM, default the image's smallest voxel size), the image is resampled: trilinear, or
nearest for masks (integer images holding only 0 and 1; --interp overrides); outside the image 0. --warp FIELD.nii.gz: a NIfTI
vector image (x, y, z, 1, 3; LPS mm, pull-back, as ITK/ANTs) from nora transform field or ANTs; the result is on the field's grid.
The output keeps the input's datatype and scaling. Files are NIfTI (.nii, .nii.gz) on disk, or with -p PROJECT paths inside the
project (PID/SID/FOLDER/FILE; reading needs the read right, --out the write right, and registers the output in the archive).`,
  },
  {
    name: 'transform field',
    options: ['grid!', 'marker', 'base', 'moving-points', 'fixed-points', 'sigma', 'out!', 'project'],
    group: 'transform',
    summary: 'a displacement field on the grid of --grid REF.nii from Gaussian markers or two matching keypoint sets',
    details: `--marker X,Y,Z,DX,DY,DZ,SIGMA (repeatable): the content at X,Y,Z moves by DX,DY,DZ (RAS mm), fading as a Gaussian of
standard deviation SIGMA mm; markers add up, on top of --base FIELD (a field dumped before). --moving-points A.txt
--fixed-points B.txt --sigma MM: one point a line (x y z, RAS mm); each moving point lands on its fixed point exactly, Gaussian
radial basis functions of width SIGMA in between. The field is written as transform apply reads a warp field (LPS mm, pull-back).`,
  },

  // Markers
  {
    name: 'markers to-slicer',
    args: ['IN'],
    options: ['out!', 'project'],
    group: 'markers',
    summary: "a nora marker file (pointset or freeline, RAS mm) as 3D Slicer markups: --out OUT.mrk.json",
    details: `Writes Slicer's markups JSON (schema v1.0.3): a pointset as a "Fiducial" point list, a freeline as a "Curve", positions in
LPS mm as Slicer writes them (x and y negated); the reference image goes along as "nora": {"reference": ...}. Files on disk, or
with -p PROJECT paths inside the project (PID/SID/FOLDER/FILE; reading needs the read right, --out the write right, and registers
the output in the archive).`,
  },
  {
    name: 'markers from-slicer',
    args: ['IN.mrk.json'],
    options: ['out!', 'project'],
    group: 'markers',
    summary: 'a 3D Slicer markups file (.mrk.json) as a nora marker file: --out OUT.json',
    details: `Reads point lists (Fiducial) as pointsets and curves and lines as freelines, in LPS or RAS, mm or um, into RAS mm;
control points without a defined position are left out, planes, ROIs and angles skipped; of several the first is written.
Files on disk, or with -p PROJECT paths inside the project (as for to-slicer).`,
  },

  // Site administration
  { name: '--admin users', by: ['admin'], group: 'admin', summary: 'list users with their rights' },
  { name: '--admin adduser', by: ['admin'], args: ['NAME'], options: ['site-admin', 'password'], group: 'admin', summary: 'add a local user; prints the password once' },
  {
    name: '--admin passwd',
    by: ['admin'],
    args: ['NAME'],
    options: ['password', 'revoke-tokens'],
    group: 'admin',
    summary: "set (or generate) a user's password; ends their sessions",
    details: "Ends the user's browser sessions at once; --revoke-tokens deletes their API tokens too.",
  },
  {
    name: '--admin token',
    by: ['admin'],
    args: ['NAME'],
    options: ['name', 'expires'],
    group: 'admin',
    summary: 'create an API token for a user; printed once',
    details: '--name LABEL (default "cli"); --expires 90m|12h|30d|8w or a day (2026-06-30, until its end, UTC): default never.',
  },
  { name: '--admin tokens', by: ['admin'], args: ['NAME'], options: ['json'], group: 'admin', summary: "list a user's API tokens (id, label, created, last used, expiry; never the token)" },
  { name: '--admin revoke-token', by: ['admin'], args: ['ID'], group: 'admin', summary: 'delete an API token by its id (nora --admin tokens NAME lists them)' },
  {
    name: '--admin disable',
    by: ['admin'],
    args: ['NAME'],
    options: ['revoke-tokens'],
    group: 'admin',
    summary: 'disable a user: sign-in, sessions and tokens stop working at once',
    details:
      "Sign-in, API tokens and the run tokens of the user's jobs stop working at once and their sessions are deleted.\nThe API tokens work again after enable, unless --revoke-tokens deletes them now.",
  },
  { name: '--admin enable', by: ['admin'], args: ['NAME'], group: 'admin', summary: 'enable a disabled user again' },
  { name: '--admin grant', by: ['admin'], args: ['NAME', 'PROJECT', 'RIGHT'], group: 'admin', summary: 'give a user a right on a project: read, write or admin' },
  { name: '--admin revoke', by: ['admin'], args: ['NAME', 'PROJECT'], group: 'admin', summary: "take a user's rights on a project away" },
  { name: '--admin projects', by: ['admin'], group: 'admin', summary: 'list projects' },
  { name: '--admin migrate', by: ['admin'], group: 'admin', summary: 'apply pending database migrations' },

  // What import jobs run; not in the help.
  { name: '--run-import', by: ['run-import'], group: 'hidden', summary: 'run an import the server queued (import jobs run this)' },
]

/** Commands with subcommands: `nora pacs SUB`, `nora --admin SUB`. Without one they print their overview. */
export const FAMILIES: { name: string; by?: string; summary: string }[] = [
  { name: 'pacs', summary: 'query, pull from and push to the PACS nodes of conf/pacs.conf, as AE dicom.aet' },
  { name: 'roi', summary: 'ROIs (NIfTI masks): statistics, morphology, set operations, remove salt, region growing; export as DICOM SEG' },
  { name: 'transform', summary: 'world-space transforms of NIfTI images: move by a matrix, resample, displacement fields and warps' },
  { name: 'markers', summary: 'marker sets (pointsets, freelines in RAS mm): to and from 3D Slicer markups (.mrk.json)' },
  { name: '--admin', by: 'admin', summary: 'users, passwords, tokens, rights, projects, migrations (site admins)' },
]

/** Options every command takes. */
export const GLOBAL_OPTIONS = ['home', 'user', 'help']
