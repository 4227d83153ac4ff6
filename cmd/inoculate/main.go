// Command inoculate runs the Inoculate platform: the web server and the
// administration commands. Run "inoculate help" for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"inoculate/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a subcommand runs with: its arguments and the standard streams.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env) error
}

// commands is the list "inoculate help" prints, one file per command.
var commands = []command{
	{"serve", "run the web server (add --demo for a demo tenant with fictional data)", serveCmd},
	{"migrate", "bring the database schema up to date", migrateCmd},
	{"tenant", "tenant create --slug S --name N | tenant list", tenantCmd},
	{"user", "user create|list|disable|reset-totp --tenant S …", userCmd},
	{"token", "token create|list|revoke --tenant S …: API tokens", tokenCmd},
	{"audit", "audit verify [--checkpoint FILE] | audit checkpoint | audit key (the public verifier key)", auditCmd},
	{"backup", "backup --out FILE: write a consistent backup of the database", backupCmd},
	{"restore", "restore --in FILE: restore a backup into an empty database", restoreCmd},
	{"plan", "reach planning: plan gen [--kind rmat|planted] | plan --graph FILE (--k K | --budget B --costs FILE) [--hist auto|on|off] | plan eval", planCmd},
	{"version", "print the version", versionCmd},
}

// errUsage marks a usage error: exit status 2 and the flag package already printed why.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, env{args: args[1:], stdin: stdin, stdout: stdout, stderr: stderr})
			switch {
			case err == nil:
				return 0
			case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
				return 2
			default:
				fmt.Fprintf(stderr, "inoculate %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "inoculate: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: inoculate <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nCommon flags: --data DIR (default ./data), --db URL (default: SQLite in the data dir; postgres://… for PostgreSQL), --keys FILE (default DIR/keys.json).\nRun \"inoculate <command> -h\" for a command's flags.")
}

// common are the flags every command that touches the data shares.
type common struct {
	data, db, keys string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", "./data", "data directory (created 0700)")
	fs.StringVar(&c.db, "db", os.Getenv("INOCULATE_DB"), "database URL: empty for SQLite in the data directory, or postgres://…")
	fs.StringVar(&c.keys, "keys", "", "key file (default DATA/keys.json; production keeps it outside the data directory)")
}

func (c *common) config() app.Config {
	return app.Config{DataDir: c.data, DB: c.db, KeysPath: c.keys}
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("inoculate "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses args, mapping flag errors to errUsage and refusing stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// required reports missing required flags.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			fmt.Fprintf(fs.Output(), "--%s is required\n", n)
			fs.Usage()
			return errUsage
		}
	}
	return nil
}

func openApp(ctx context.Context, c common) (*app.App, error) {
	return app.Open(ctx, c.config())
}
