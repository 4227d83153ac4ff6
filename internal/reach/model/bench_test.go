package model_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
)

// cellsFile is a cells file of n distinct rows.
func cellsFile(n int) string {
	var b strings.Builder
	b.WriteString("community,language,age_band,size,source,year\n")
	communities := []string{"Tal Afar", "com-a-2", ""}
	bands := []string{"13-17", "18-24", "25-34", "35+"}
	for i := range n {
		fmt.Fprintf(&b, "%s,ar-%d,%s,%d,Census office,2024\n", communities[(i/4)%3], 1000+i/12, bands[i%4], i)
	}
	return b.String()
}

// BenchmarkImportCells imports a file of the largest size allowed, fresh and then
// again unchanged, on each store.
func BenchmarkImportCells(b *testing.B) {
	file := cellsFile(50000)
	for _, open := range []struct {
		name string
		db   func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(open.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := open.db(b)
				e := setup(b, db)
				b.StartTimer()
				res, err := e.svc.ImportCells(context.Background(), e.p["a"][authz.CommsOfficer], "req", strings.NewReader(file))
				if err != nil || res.Created != 50000 {
					b.Fatalf("%+v %v", res.Errors, err)
				}
				res, err = e.svc.ImportCells(context.Background(), e.p["a"][authz.CommsOfficer], "req", strings.NewReader(file))
				if err != nil || res.Unchanged != 50000 {
					b.Fatalf("%+v %v", res.Errors, err)
				}
			}
		})
	}
}
