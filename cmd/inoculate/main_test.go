package main

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver"
)

// cli runs the command in-process, as a user's shell would.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func mustCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errs := cli(t, stdin, args...)
	if code != 0 {
		t.Fatalf("inoculate %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func TestCommandLineContract(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	d := "--data=" + data

	if out := mustCLI(t, "", "version"); !strings.HasPrefix(out, "inoculate ") {
		t.Errorf("version printed %q", out)
	}
	if code, _, _ := cli(t, "", "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, errs := cli(t, "", "tenant", "create", d, "--slug", "ngo"); code != 2 || !strings.Contains(errs, "--name is required") {
		t.Errorf("missing --name: exit %d, %q", code, errs)
	}
	mustCLI(t, "", "tenant", "create", d, "--slug", "ngo", "--name", "Exit Programme")
	if code, _, errs := cli(t, "", "tenant", "create", d, "--slug", "ngo", "--name", "Again"); code != 1 || !strings.Contains(errs, "already taken") {
		t.Errorf("duplicate tenant: exit %d, %q", code, errs)
	}
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(filepath.Join(data, "keys.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v, %v; want 0600", fi, err)
	}

	// Users: the password comes on standard input.
	mustCLI(t, "a perfectly long password\n", "user", "create", d, "--tenant", "ngo", "--name", "amira", "--role", "case_worker")
	mustCLI(t, "another long password!\n", "user", "create", d, "--tenant", "ngo", "--name", "root", "--role", "admin")
	if code, _, errs := cli(t, "a perfectly long password\n", "user", "create", d, "--tenant", "ngo", "--name", "x1", "--role", "boss"); code != 2 || !strings.Contains(errs, "unknown role") {
		t.Errorf("bad role: exit %d, %q", code, errs)
	}
	if code, _, errs := cli(t, "", "user", "create", d, "--tenant", "ngo", "--name", "x2", "--role", "auditor"); code != 1 || !strings.Contains(errs, "standard input") {
		t.Errorf("no password: exit %d, %q", code, errs)
	}
	if code, _, errs := cli(t, "short\n", "user", "create", d, "--tenant", "ngo", "--name", "x3", "--role", "auditor"); code != 1 || !strings.Contains(errs, "12") {
		t.Errorf("short password: exit %d, %q", code, errs)
	}
	list := mustCLI(t, "", "user", "list", d, "--tenant", "ngo")
	if !regexp.MustCompile(`(?m)^amira\s+case_worker\s+active\s+pending`).MatchString(list) || strings.Contains(list, "x3") {
		t.Errorf("user list:\n%s", list)
	}

	// token create prints only the token, ready for $(…).
	tok := mustCLI(t, "", "token", "create", d, "--tenant", "ngo", "--user", "amira")
	if !regexp.MustCompile(`^inoc_[A-Za-z0-9_-]{20,}\n$`).MatchString(tok) {
		t.Fatalf("token create printed %q, want only the token", tok)
	}
	tl := mustCLI(t, "", "token", "list", d, "--tenant", "ngo", "--user", "amira")
	lines := strings.Split(strings.TrimSpace(tl), "\n")
	if len(lines) != 2 || strings.Contains(tl, strings.TrimSpace(tok)) {
		t.Fatalf("token list:\n%s", tl)
	}
	tokenID := strings.Fields(lines[1])[0]
	mustCLI(t, "", "token", "revoke", d, "--tenant", "ngo", "--id", tokenID)
	row := strings.Fields(strings.Split(mustCLI(t, "", "token", "list", d, "--tenant", "ngo", "--user", "amira"), "\n")[1])
	if revoked := row[len(row)-1]; revoked == "-" {
		t.Errorf("revoked token shows no revocation time: %v", row)
	}
	mustCLI(t, "", "user", "reset-totp", d, "--tenant", "ngo", "--name", "amira")
	mustCLI(t, "", "user", "disable", d, "--tenant", "ngo", "--name", "amira")
	if list := mustCLI(t, "", "user", "list", d, "--tenant", "ngo"); !regexp.MustCompile(`(?m)^amira\s+case_worker\s+disabled`).MatchString(list) {
		t.Errorf("after disable:\n%s", list)
	}

	// The audit log verifies; an exported checkpoint pins it.
	if out := mustCLI(t, "", "audit", "verify", d); !strings.HasPrefix(out, "OK: ") {
		t.Errorf("audit verify: %q", out)
	}
	cp := filepath.Join(t.TempDir(), "checkpoint.txt")
	if err := os.WriteFile(cp, []byte(mustCLI(t, "", "audit", "checkpoint", d)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "", "audit", "verify", d, "--checkpoint", cp)
	// A third party verifies with the published key alone, not the key file.
	vk := mustCLI(t, "", "audit", "key", d)
	if !strings.HasPrefix(vk, "inoculate-audit+") || strings.Contains(vk, "PRIVATE") {
		t.Fatalf("audit key printed %q", vk)
	}
	if out := mustCLI(t, "", "audit", "verify", d, "--keys=/nonexistent/keys.json", "--verifier-key", strings.TrimSpace(vk)); !strings.HasPrefix(out, "OK: ") {
		t.Errorf("verify with the published key: %q", out)
	}

	// Backup, and restore into a fresh data directory with the same key file.
	bk := filepath.Join(t.TempDir(), "backup.inoc")
	if out := mustCLI(t, "", "backup", d, "--out", bk); !strings.Contains(out, "wrote ") {
		t.Errorf("backup: %q", out)
	}
	if fi, err := os.Stat(bk); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode: %v %v", fi, err)
	}
	data2 := t.TempDir()
	keys := "--keys=" + filepath.Join(data, "keys.json")
	mustCLI(t, "", "restore", "--data="+data2, keys, "--in", bk)
	if out := mustCLI(t, "", "audit", "verify", "--data="+data2, keys, "--checkpoint", cp); !strings.HasPrefix(out, "OK: ") {
		t.Errorf("verify after restore: %q", out)
	}
	if code, _, errs := cli(t, "", "restore", "--data="+data2, keys, "--in", bk); code != 1 || !strings.Contains(errs, "not empty") {
		t.Errorf("restore into a used database: exit %d %q", code, errs)
	}

	// Change one byte of one stored entry: verification fails, and says so.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "inoculate.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TRIGGER audit_entries_no_update", "UPDATE audit_entries SET leaf = replace(leaf, 'user.create', 'user.crEate') WHERE seq = 2"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	code, out, errs := cli(t, "", "audit", "verify", d, "--checkpoint", cp)
	if code != 1 || !strings.Contains(out, "FAIL: ") || !strings.Contains(errs, "does NOT verify") {
		t.Errorf("tampered log: exit %d\n%s%s", code, out, errs)
	}
}

func TestServeRefusesBadSetups(t *testing.T) {
	if code, _, errs := cli(t, "", "serve", "--data="+t.TempDir(), "--demo", "--addr", "0.0.0.0:8080"); code != 1 || !strings.Contains(errs, "loopback") {
		t.Errorf("--demo on a public address: exit %d %q", code, errs)
	}
	code, _, errs := cli(t, "", "migrate", "--data="+t.TempDir(), "--db", "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=2")
	if code != 1 || !strings.Contains(errs, "cannot reach") || !strings.Contains(errs, "check --db") {
		t.Errorf("unreachable database: exit %d %q", code, errs)
	}
	// A data directory that cannot be created stops start-up with a clear message.
	// (A path under a regular file fails for every user, root included.)
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli(t, "", "migrate", "--data="+filepath.Join(file, "data")); code != 1 || !strings.Contains(errs, "create data directory") {
		t.Errorf("uncreatable data dir: exit %d %q", code, errs)
	}
}

// syncBuffer is a bytes.Buffer safe to read while the server writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServeFirstRunPrintsURLAndSetupLinkAndDemoPasswords(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data=" + t.TempDir(), "--demo", "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errb)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "password:") || !strings.Contains(out.String(), "admin") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve printed:\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	text := out.String()
	url := regexp.MustCompile(`running at (http://127\.0\.0\.1:\d+)/`).FindStringSubmatch(text)
	link := regexp.MustCompile(`(http://\S+/setup/\S+)`).FindStringSubmatch(text)
	if url == nil || link == nil {
		t.Fatalf("no URL or setup link in:\n%s", text)
	}
	if n := len(regexp.MustCompile(`(?m)^  demo-\S+\s+\S+\s+password: \S{20,}$`).FindAllString(text, -1)); n != 11 {
		t.Errorf("%d demo users printed, want one per role and a second legal officer and supervisor (11):\n%s", n, text)
	}
	res, err := http.Get(link[1])
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("setup link: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Get(url[1] + "/login?org=demo")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(res.Body)
	res.Body.Close()
	if !strings.Contains(body.String(), "demo-banner") {
		t.Errorf("demo banner missing from the login page")
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after shutdown: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
