import { ADMIN_HELP } from './commands/admin'
import { PACS_HELP } from './commands/pacs'

export const MAIN_HELP = `nora: medical imaging research platform

usage: nora COMMAND [--home DIR]          (NORA_HOME: folder with conf/ and data/)
  init                 create conf/ from the examples, the database and the first admin
  start                run the server in the background; prints the URL
  stop                 stop the server
  status               process, ports, database, queue, free disk (exit 1 when down)
  serve                run the server in the foreground
  test [db|slurm|sge|dicom|all]   self-tests, each printing OK or what is wrong (slurm/sge: a job per queue)
  pacs echo|find|nodes|pull|pulls|push ...  query, pull from and push to the PACS nodes of conf/pacs.conf (nora pacs --help)
  jobs [--state q|r|e|d] [--kill|--suspend|--resume ID] [--rerun-errors BATCH] [--json]   list, kill, suspend, rerun batch jobs

usage: nora [--project (-p) NAME] [--parameter] [value]    (acts as NORA_USER / --user, see below)
MANAGEMENT
  --createproject (-c) NAME [--policy keep|pseudonymize[:sequential]]
                                      create a project (pseudonymize: patients get pseudonyms on import)
  --add (-a) FILE... [--addtag t1,t2] register files inside the project folder (PID/SID/series/file)
  --del (-d) FILE...                  delete files
  --del_pat (-dp) PID|PID#SID...      delete subjects/studies (folders move to data/trash)
  --select (-s) PATTERN [--json (+j)] [--byfilename]
                                      files matching a file pattern: subfolder/filename with * and _,
                                      optionally PID#SID/ first (or --psid PID#SID)
  --out (-o) PID#SID/folder/name      absolute path of an output file
  --pathout (-pa) PID#SID/folder      absolute path of an output folder
  --addtag t1,t2 -s PATTERN           tag the matching files
  --rmtag t1,t2 -s PATTERN            remove tags from the matching files
  --filter "TERMS" [--json]           studies with files matching the file-search language (t1*/s0*.nii & STAG:x)
  --launch JSON | --launchfile FILE [--select-studies FILTER] [--throwerror]
                                      run a batch of bash/python/matlab jobs over studies or subjects ("level"; local, Slurm or SGE: jobs.queue), wait for it
  --launch_autoexec PID#SID           run the project's autoexecution queue on one study, wait for it
  --autoexec NAME|none                make the saved batch NAME (Batchtool's batch list) the project's
                                      autoexecution queue: it runs on every study an upload or DICOM receive
                                      brings in (routes.conf autoexecQueue may name another); none: no queue
  --import SRC                        import DICOM (folder, zip, tar, tar.gz) as NIfTI + JSON sidecars
        [--patients_id PIZ] [--studies_id SID]   put everything into this subject / study
        [--pattern REGEX]                 named groups patients_id / studies_id applied to each file's path
        [--extrafiles_filter nii,hdr]     keep non-DICOM files with these extensions
        [--autoexec_queue NAME|DEFAULT]   then run that saved batch (DEFAULT: the project's queue) on the
                                          imported studies, and wait for it
  --policy keep|pseudonymize[:sequential]   change the import policy (project admins)
  --naming 'FOLDER/FILE'              series naming, default '{protocol|description}/s{series:3}'; fields
                                      protocol, description, series, modality, studydate (project admins)
  --keepdicom yes|no                  keep each series' original DICOM as tar.gz (default yes; project admins)
  --pseudonyms                        print the pseudonym mapping (project admins)
  --sql (-q) STATEMENT [--csv] [--write]   site admins: run SQL; read-only unless --write
  --admin COMMAND ...                 users, passwords, tokens, rights, projects, migrate

IDENTITY
  The CLI acts as --user NAME or NORA_USER; else as the nora user named like your login; else, for root or
  the owner of the data root, as site admin.

Each command has --help.`

export const COMMAND_HELP: Record<string, string> = {
  init: 'nora init [--home DIR]\n  Creates DIR/conf/*.conf from the shipped examples (existing files are kept), the data root and the\n  database, and on the first run the user "admin" with a random password printed once.',
  start: 'nora start [--home DIR] [--timeout SECONDS]\n  Starts the server in the background (pid file and log in the data root), waits until /api/health\n  answers and prints the URL. Refuses when nora already runs or the port is taken.',
  stop: 'nora stop [--home DIR]\n  Stops the server started by nora start (SIGTERM, SIGKILL after 15 s).',
  status: 'nora status [--home DIR]\n  Prints process, ports, database, queue and free disk. Exit code 1 when the server is down.',
  serve: 'nora serve [--home DIR]\n  Runs the server in the foreground; Ctrl-C stops it.',
  test: 'nora test [db|slurm|sge|dicom|all] [--home DIR]\n  Self-tests: each line says OK or what is wrong (slurm, sge: submits a tiny job to each queue of conf/slurm.conf, with timings). Exit code 1 if any failed.',
  admin: ADMIN_HELP,
  pacs: PACS_HELP,
  jobs: 'nora jobs [-p PROJECT] [--state q|r|e|d] [--json] [--kill ID] [--suspend ID] [--resume ID] [--rerun-errors BATCH [--launchfile FILE]]\n  Lists batch jobs (queued, running, error, done; says when the scheduler is down), kills, suspends or resumes one (needs write rights on its project),\n  or reruns the runs of a batch that ended in error as a new batch (the same jobs, or those of --launchfile/--launch) and waits for it.',
}
