package backup

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"inoculate/internal/platform/store"
)

// BenchmarkWriteRestore backs up a database of 10,000 audit entries and restores it
// into a fresh database; the time of creating that database is excluded.
func BenchmarkWriteRestore(b *testing.B) {
	const rows = 10_000
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			src := openDialect(b, d)
			err := src.InTx(ctx, func(tx *store.Tx) error {
				for seq := range rows {
					leaf := fmt.Appendf(nil, `{"seq":%d,"at":1700000000000,"tenant":"t-0123456789","actor":"u-0123456789abcdef","action":"returnee.identity.reveal","subject":"r-0123456789abcdef","reason_id":"v-0123456789abcdef","outcome":"ok"}`, seq)
					if _, err := tx.Exec(ctx, "INSERT INTO audit_entries (seq, tenant_id, at, leaf) VALUES (?, ?, ?, ?)", int64(seq), "t-0123456789", int64(1_700_000_000_000+seq), leaf); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			var size int
			b.ResetTimer()
			for b.Loop() {
				var buf bytes.Buffer
				if _, err := Write(ctx, src, &buf); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
				b.StopTimer()
				dst := openDialect(b, d)
				b.StartTimer()
				m, err := Restore(ctx, dst, &buf)
				if err != nil {
					b.Fatal(err)
				}
				if m.Tables["audit_entries"] != rows {
					b.Fatalf("restored %d rows", m.Tables["audit_entries"])
				}
			}
			b.ReportMetric(float64(size), "backup-bytes")
		})
	}
}
