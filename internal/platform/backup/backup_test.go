package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// TestEveryTableIsCovered: every table of the migrated schema is backed up or
// deliberately skipped, so a new capability's table cannot be silently left out.
func TestEveryTableIsCovered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		query := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
		if db.Dialect() == store.Postgres {
			query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
		}
		rows, err := db.Reader().Query(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var live []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			live = append(live, n)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, n := range live {
			_, skipped := Skipped[n]
			backedUp := slices.Contains(Tables, n)
			switch {
			case !skipped && !backedUp:
				t.Errorf("table %s is neither in backup.Tables nor in backup.Skipped: a backup would lose it", n)
			case skipped && backedUp:
				t.Errorf("table %s is both backed up and skipped", n)
			}
		}
		for _, n := range slices.Concat(Tables, slices.Collect(maps.Keys(Skipped))) {
			if !slices.Contains(live, n) {
				t.Errorf("backup lists table %s, which the schema lacks", n)
			}
		}
	})
}

// TestRoundTrip writes a backup of every table and restores it into a fresh database
// of each dialect, comparing every row exactly.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, from := range dialects {
		for _, to := range dialects {
			t.Run(string(from)+"_to_"+string(to), func(t *testing.T) {
				src := openDialect(t, from)
				dst := openDialect(t, to)
				fill(t, src)
				// The platform's own tables are filled here by hand, with awkward values;
				// the capabilities' tables are filled through their real services by
				// internal/app's backup round-trip test, which also fails on an empty one.
				for _, table := range fixtureTables {
					if len(dump(t, src, table)) == 0 {
						t.Fatalf("the fixture leaves table %s empty: fill every table", table)
					}
				}

				data, m := backupOf(t, src)
				if m.Format != formatName || m.Version != formatVersion || m.Dialect != string(from) || len(m.SHA256) != 64 {
					t.Fatalf("manifest %+v", m)
				}
				_, latest, _ := src.SchemaVersion(ctx)
				if m.SchemaVersion != latest {
					t.Fatalf("schema version %d, want %d", m.SchemaVersion, latest)
				}
				for _, table := range Tables {
					if got, want := m.Tables[table], int64(len(dump(t, src, table))); got != want {
						t.Errorf("manifest counts %d rows of %s, want %d", got, table, want)
					}
				}
				read, err := ReadManifest(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("ReadManifest: %v", err)
				}
				if !manifestsEqual(read, m) {
					t.Fatalf("ReadManifest = %+v, Write said %+v", read, m)
				}

				restored, err := Restore(ctx, dst, bytes.NewReader(data))
				if err != nil {
					t.Fatalf("Restore: %v", err)
				}
				if !manifestsEqual(restored, m) {
					t.Fatalf("Restore = %+v, Write said %+v", restored, m)
				}
				for _, table := range Tables {
					want, got := dump(t, src, table), dump(t, dst, table)
					if !slices.Equal(got, want) {
						t.Errorf("table %s differs after restore:\n got %q\nwant %q", table, got, want)
					}
				}
				for table := range Skipped {
					if table == "goose_db_version" {
						continue
					}
					if rows := dump(t, dst, table); len(rows) != 0 {
						t.Errorf("skipped table %s came back with %d rows", table, len(rows))
					}
				}
				if to == store.Postgres {
					// Booleans became real booleans (dump prints them like 0/1).
					var demo, enrolled bool
					if err := dst.Reader().QueryRow(ctx, "SELECT t.demo, u.totp_enrolled FROM tenants t JOIN users u ON u.tenant_id = t.id WHERE u.id = 'u1'").Scan(&demo, &enrolled); err != nil || !demo || !enrolled {
						t.Fatalf("booleans after restore: %v %v %v", demo, enrolled, err)
					}
				}

				// And back again: a backup of the restored database holds the same rows.
				again, _ := backupOf(t, dst)
				third := openDialect(t, from)
				if _, err := Restore(ctx, third, bytes.NewReader(again)); err != nil {
					t.Fatalf("second restore: %v", err)
				}
				for _, table := range Tables {
					if !slices.Equal(dump(t, third, table), dump(t, src, table)) {
						t.Errorf("table %s differs after a second round trip", table)
					}
				}
			})
		}
	}
}

func manifestsEqual(a, b Manifest) bool {
	return a.Format == b.Format && a.Version == b.Version && a.CreatedAt.Equal(b.CreatedAt) &&
		a.Dialect == b.Dialect && a.SchemaVersion == b.SchemaVersion && a.SHA256 == b.SHA256 &&
		len(a.Tables) == len(b.Tables) && func() bool {
		for k, v := range a.Tables {
			if w, ok := b.Tables[k]; !ok || w != v {
				return false
			}
		}
		return true
	}()
}

// TestSQLiteStorageClassesRoundTrip: SQLite keeps a value's storage class, not its
// column's declared type; a restore into SQLite keeps it too, and PostgreSQL gets the
// same bytes in the column's type.
func TestSQLiteStorageClassesRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	err := src.InTx(ctx, func(tx *store.Tx) error {
		mustExec(t, tx, "INSERT INTO tenants (id, slug, name, demo, created_at) VALUES ('t1', 't1', 'n', 0, 1)")
		// Text in a BLOB column, and text that looks like a timestamp (which the driver
		// would turn into time.Time in a column not declared TEXT).
		mustExec(t, tx, "INSERT INTO returnees (id, tenant_id, alias, legal_name, created_by, created_at) VALUES ('r1', 't1', '2024-01-02T03:04:05Z', ?, '2024-01-02T03:04:05.123456789+02:00', 1)", "text in a blob column")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := backupOf(t, src)
	dst := storetest.SQLite(t)
	if _, err := Restore(ctx, dst, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	var class, alias string
	if err := dst.Reader().QueryRow(ctx, "SELECT typeof(legal_name), alias FROM returnees").Scan(&class, &alias); err != nil {
		t.Fatal(err)
	}
	if class != "text" || alias != "2024-01-02T03:04:05Z" {
		t.Fatalf("after restore: storage class %q, alias %q", class, alias)
	}
	if !slices.Equal(dump(t, dst, "returnees"), dump(t, src, "returnees")) {
		t.Fatal("returnees differ")
	}

	if os.Getenv(storetest.EnvPostgres) == "" {
		return
	}
	pg := storetest.Postgres(t)
	if _, err := Restore(ctx, pg, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	var legal []byte
	if err := pg.Reader().QueryRow(ctx, "SELECT legal_name FROM returnees").Scan(&legal); err != nil || string(legal) != "text in a blob column" {
		t.Fatalf("PostgreSQL legal_name %q, %v", legal, err)
	}
}

// TestWriteRefuses: what the format cannot carry exactly, and a table nobody
// classified, stop the backup loudly instead of altering or dropping data.
func TestWriteRefuses(t *testing.T) {
	ctx := context.Background()
	t.Run("unclassified table", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			fill(t, db)
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "CREATE TABLE new_capability (id TEXT PRIMARY KEY)")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			_, err := Write(ctx, db, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), "new_capability") {
				t.Fatalf("Write with an unclassified table: %v", err)
			}
		})
	})
	t.Run("sqlite invalid utf8", func(t *testing.T) {
		db := storetest.SQLite(t)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO tenants (id, slug, name, demo, created_at) VALUES ('t1', 't1', ?, 0, 1)", "bad \xff text")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, err := Write(ctx, db, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "UTF-8") || !strings.Contains(err.Error(), "name") || strings.Contains(err.Error(), "bad") {
			t.Fatalf("Write with invalid UTF-8: %v", err)
		}
	})
	t.Run("sqlite float is carried exactly", func(t *testing.T) {
		db := storetest.SQLite(t)
		const awkward = 0.1 + 0.2 // 0.30000000000000004: not a short decimal
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO tenants (id, slug, name, demo, created_at) VALUES ('t1', 't1', 'n', 0, ?)", awkward)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := Write(ctx, db, &buf); err != nil {
			t.Fatalf("Write with a float: %v", err)
		}
		dst := storetest.SQLite(t)
		if _, err := Restore(ctx, dst, &buf); err != nil {
			t.Fatal(err)
		}
		var got float64
		if err := dst.Reader().QueryRow(ctx, "SELECT created_at FROM tenants WHERE id = 't1'").Scan(&got); err != nil || got != awkward {
			t.Fatalf("float after the round trip: %v (%v), want %v", got, err, awkward)
		}
	})
}

// TestRestoreIntoNonEmptyDatabase is refused and changes nothing.
func TestRestoreIntoNonEmptyDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, src *store.DB) {
		fill(t, src)
		data, _ := backupOf(t, src)
		dst := openDialect(t, src.Dialect())
		if err := dst.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec(context.Background(), "INSERT INTO audit_checkpoints (size, checkpoint, created_at) VALUES (1, 'c', 2)")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, err := Restore(context.Background(), dst, bytes.NewReader(data))
		if !errors.Is(err, ErrNotEmpty) || errs.KindOf(err) != errs.Conflict || !strings.Contains(err.Error(), "restore only into a fresh database") {
			t.Fatalf("restore into a non-empty database: %v", err)
		}
		if got := dump(t, dst, "tenants"); len(got) != 0 {
			t.Fatalf("tenants restored anyway: %q", got)
		}
		if got := dump(t, dst, "audit_checkpoints"); len(got) != 1 {
			t.Fatalf("audit_checkpoints changed: %q", got)
		}
	})
}

// TestRestoreRefusesDamage: a truncated, damaged or tampered file is refused with a
// clear message, and the database stays empty even when the damage is only found
// after every row went in.
func TestRestoreRefusesDamage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, src *store.DB) {
		fill(t, src)
		data, m := backupOf(t, src)
		ls := lines(t, data)
		rowAt := indexOf(t, ls, `{"table":"audit_head"`) + 1 // one row, starting {"i":1}
		trailerAt := len(ls) - 1

		edit := func(fn func(ls [][]byte)) [][]byte {
			c := slices.Clone(ls)
			fn(c)
			return c
		}
		flip := func(at int) []byte {
			c := slices.Clone(data)
			c[at] ^= 0xFF
			return c
		}
		cases := []struct {
			name  string
			data  []byte
			want  string // in the message
			kind  errs.Kind
			isBad bool // errors.Is(err, ErrCorrupt)
		}{
			{"empty", nil, "corrupt", errs.Invalid, true},
			{"not gzip", []byte("hello, this is not a backup\n"), "corrupt", errs.Invalid, true},
			{"truncated to half", data[:len(data)/2], "corrupt", errs.Invalid, true},
			{"truncated by one byte", data[:len(data)-1], "corrupt", errs.Invalid, true},
			{"truncated gzip trailer", data[:len(data)-8], "corrupt", errs.Invalid, true},
			{"flipped byte early", flip(20), "corrupt", errs.Invalid, true},
			{"flipped byte in the middle", flip(len(data) / 2), "corrupt", errs.Invalid, true},
			{"flipped gzip checksum", flip(len(data) - 6), "corrupt", errs.Invalid, true},
			{"garbage appended", append(slices.Clone(data), "junk"...), "corrupt", errs.Invalid, true},
			{"wrong sha", pack(t, edit(func(ls [][]byte) {
				ls[trailerAt] = bytes.Replace(ls[trailerAt], []byte(m.SHA256), []byte(strings.Repeat("0", 64)), 1)
			}), false), "SHA-256", errs.Invalid, true},
			{"row changed, sha kept", pack(t, edit(func(ls [][]byte) {
				ls[rowAt] = bytes.Replace(ls[rowAt], []byte(`{"i":5}`), []byte(`{"i":6}`), 1)
			}), false), "SHA-256", errs.Invalid, true},
			{"trailer dropped", pack(t, ls[:trailerAt], false), "trailer is missing", errs.Invalid, true},
			{"row dropped, resigned", pack(t, slices.Delete(slices.Clone(ls), rowAt, rowAt+1), true), "row counts", errs.Invalid, true},
			{"row of the wrong width", pack(t, edit(func(ls [][]byte) { ls[rowAt] = []byte(`[null]`) }), true), "values for", errs.Invalid, true},
			{"untyped value", pack(t, edit(func(ls [][]byte) {
				ls[rowAt] = bytes.Replace(ls[rowAt], []byte(`{"i":1}`), []byte(`{"x":1}`), 1)
			}), true), "corrupt", errs.Invalid, true},
			{"two types in one value", pack(t, edit(func(ls [][]byte) {
				ls[rowAt] = bytes.Replace(ls[rowAt], []byte(`{"i":1}`), []byte(`{"i":1,"s":"1"}`), 1)
			}), true), "one typed value", errs.Invalid, true},
			{"table not backed up", pack(t, edit(func(ls [][]byte) {
				i := indexOf(t, ls, `{"table":"data_keys"`)
				ls[i] = bytes.Replace(ls[i], []byte(`"data_keys"`), []byte(`"sessions"`), 1)
			}), true), `"sessions" is not one a backup holds`, errs.Invalid, true},
			{"table repeated", pack(t, edit(func(ls [][]byte) {
				i := indexOf(t, ls, `{"table":"data_keys"`)
				ls[i] = bytes.Replace(ls[i], []byte(`"data_keys"`), []byte(`"tenants"`), 1)
			}), true), "repeated or out of order", errs.Invalid, true},
			{"column the database lacks", pack(t, edit(func(ls [][]byte) {
				i := indexOf(t, ls, `{"table":"data_keys"`)
				ls[i] = bytes.Replace(ls[i], []byte(`"kek_version"`), []byte(`"kek_generation"`), 1)
			}), true), `column "kek_generation" of table data_keys, which this database lacks`, errs.Invalid, false},
			{"newer schema", pack(t, edit(func(ls [][]byte) {
				var h header
				_ = json.Unmarshal(ls[0], &h)
				h.SchemaVersion += 1
				ls[0], _ = json.Marshal(h)
			}), true), "newer than this database", errs.Conflict, false},
			{"unknown format version", pack(t, edit(func(ls [][]byte) {
				ls[0] = bytes.Replace(ls[0], []byte(`"version":1`), []byte(`"version":2`), 1)
			}), true), "format version 2 is not supported", errs.Invalid, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				dst := openDialect(t, src.Dialect())
				_, err := Restore(context.Background(), dst, bytes.NewReader(c.data))
				if err == nil {
					t.Fatal("restored a bad backup")
				}
				if !strings.Contains(err.Error(), c.want) || errs.KindOf(err) != c.kind || errors.Is(err, ErrCorrupt) != c.isBad {
					t.Fatalf("error %q (kind %v, corrupt %v); want %q, kind %v, corrupt %v", err, errs.KindOf(err), errors.Is(err, ErrCorrupt), c.want, c.kind, c.isBad)
				}
				assertEmpty(t, dst)
				if _, err := ReadManifest(bytes.NewReader(c.data)); c.isBad && err == nil {
					t.Fatal("ReadManifest accepted it")
				}
			})
		}
	})
}

// TestEveryFlippedByteIsCaught: flipping any byte past gzip's unchecked header fields
// (time, flags, OS) makes the backup unreadable.
func TestEveryFlippedByteIsCaught(t *testing.T) {
	src := storetest.SQLite(t)
	fill(t, src)
	data, _ := backupOf(t, src)
	for at := 10; at < len(data); at++ {
		c := slices.Clone(data)
		c[at] ^= 0xFF
		if _, err := ReadManifest(bytes.NewReader(c)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipped byte %d of %d: %v", at, len(data), err)
		}
	}
	for n := range len(data) {
		if _, err := ReadManifest(bytes.NewReader(data[:n])); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d of %d bytes: %v", n, len(data), err)
		}
	}
}

// TestMissingColumnTakesItsDefault: a backup from before a column existed restores,
// and the new column takes its default.
func TestMissingColumnTakesItsDefault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, src *store.DB) {
		fill(t, src)
		data, _ := backupOf(t, src)
		ls := lines(t, data)
		at := indexOf(t, ls, `{"table":"users"`)
		var tl tableLine
		if err := json.Unmarshal(ls[at], &tl); err != nil {
			t.Fatal(err)
		}
		drop := slices.Index(tl.Columns, "totp_enrolled")
		tl.Columns = slices.Delete(tl.Columns, drop, drop+1)
		ls[at], _ = json.Marshal(tl)
		for i := at + 1; i < len(ls) && ls[i][0] == '['; i++ {
			var row []json.RawMessage
			if err := json.Unmarshal(ls[i], &row); err != nil {
				t.Fatal(err)
			}
			row = slices.Delete(row, drop, drop+1)
			ls[i], _ = json.Marshal(row)
		}
		dst := openDialect(t, src.Dialect())
		if _, err := Restore(context.Background(), dst, bytes.NewReader(pack(t, ls, true))); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		for _, u := range dump(t, dst, "users") {
			if !strings.Contains(u, "totp_enrolled=i:0") {
				t.Fatalf("users row without the default: %s", u)
			}
		}
	})
}

// TestWriteFile: the file is private, complete under its final name, and restores.
func TestWriteFile(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	fill(t, src)
	dir := t.TempDir()
	path := filepath.Join(dir, "inoculate.backup.gz")
	m, err := WriteFile(ctx, src, path)
	if err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("directory holds %d entries; want only the backup (no temporary file left)", len(entries))
	}
	dst := storetest.SQLite(t)
	got, err := RestoreFile(ctx, dst, path)
	if err != nil {
		t.Fatalf("RestoreFile: %v", err)
	}
	if got.SHA256 != m.SHA256 {
		t.Fatalf("restored sha %s, wrote %s", got.SHA256, m.SHA256)
	}
	for _, table := range Tables {
		if !slices.Equal(dump(t, dst, table), dump(t, src, table)) {
			t.Errorf("table %s differs", table)
		}
	}

	// A damaged file is reported as damaged, by name, and restores nothing.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0xFF
	damaged := filepath.Join(dir, "damaged.gz")
	if err := os.WriteFile(damaged, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := storetest.SQLite(t)
	if _, err := RestoreFile(ctx, fresh, damaged); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "damaged.gz") {
		t.Fatalf("RestoreFile of a damaged file: %v", err)
	}
	assertEmpty(t, fresh)

	// A failed backup leaves nothing behind, not even a partial file.
	bad := storetest.SQLite(t)
	if err := bad.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "CREATE TABLE unclassified (x)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	failDir := t.TempDir()
	if _, err := WriteFile(ctx, bad, filepath.Join(failDir, "b.gz")); err == nil {
		t.Fatal("WriteFile succeeded with an unclassified table")
	}
	if entries, _ := os.ReadDir(failDir); len(entries) != 0 {
		t.Fatalf("a failed backup left %d files", len(entries))
	}
	if _, err := RestoreFile(ctx, dst, filepath.Join(failDir, "missing.gz")); err == nil || !strings.Contains(err.Error(), "missing.gz") {
		t.Fatalf("RestoreFile of a missing file: %v", err)
	}
}

// TestSnapshotIsPostgresRepeatableRead: on PostgreSQL every statement of a backup reads
// the same snapshot, and the backup cannot write.
func TestSnapshotIsPostgresRepeatableRead(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	err := snapshot(ctx, db, func(q store.Querier) error {
		var iso, ro string
		if err := q.QueryRow(ctx, "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')").Scan(&iso, &ro); err != nil {
			return err
		}
		if iso != "repeatable read" || ro != "on" {
			t.Errorf("backup transaction: isolation %q, read only %q", iso, ro)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
