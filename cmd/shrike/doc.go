// Command shrike is Shrike's one binary.
//
// Roles, each a long-running process:
//
//	shrike server   the server: embedded NATS, SQLite, resource manager, scheduler, REST API, web page
//	shrike node     a node agent: joins a server and runs the tasks placed on it
//	shrike dev      a server and local node agents in one process, with a throwaway data dir
//	shrike bench    throughput of trivial tasks on a local grid against the bare spawn rate
//	shrike bench sim  the real scheduler on virtual time: a YAML cluster and workload, events and cycle timings
//	shrike bench-nodes  many simulated nodes heartbeating against a server: its CPU and memory
//
// Everything else is a client of the REST API (through api.Client): login,
// logout, job submit|ls|show|logs|output|kill|wait, node ls|show|lock|
// unlock|drain|rm, rm stats|events|history, space ls|put|get|rm|mv|mkdir,
// task exec, queue ls|show, admin user add|ls, version. One file
// per subcommand; exit codes live in exitcodes.go. See docs/cli.md.
package main
