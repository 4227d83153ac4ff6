package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at release build time with -ldflags "-X main.version=…".
var version = "dev"

func versionCmd(ctx context.Context, e env) error {
	fs := newFlags("version", e)
	if err := parse(fs, e.args); err != nil {
		return err
	}
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = " (" + s.Value[:12] + ")"
			}
		}
		fmt.Fprintf(e.stdout, "inoculate %s%s %s\n", version, rev, bi.GoVersion)
		return nil
	}
	fmt.Fprintf(e.stdout, "inoculate %s\n", version)
	return nil
}
