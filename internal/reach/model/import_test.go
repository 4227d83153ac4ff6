package model_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"inoculate/internal/platform/authz"
	"inoculate/internal/platform/errs"
	"inoculate/internal/platform/store"
	"inoculate/internal/platform/store/storetest"
	"inoculate/internal/reach/model"
)

func counts(res model.ImportResult) string {
	return fmt.Sprintf("created %d updated %d unchanged %d", res.Created, res.Updated, res.Unchanged)
}

// rejectedWith checks an import refused the file whole, listing exactly want.
func rejectedWith(t *testing.T, res model.ImportResult, err error, want []string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.Invalid || e.MsgKey != "reach.error.csv_rejected" {
		t.Fatalf("err = %v, want the file rejected", err)
	}
	if res.Created+res.Updated+res.Unchanged != 0 {
		t.Fatalf("a rejected import reports writes: %s", counts(res))
	}
	if got := where(res.Errors); !reflect.DeepEqual(got, want) {
		t.Fatalf("errors\n%v\nwant\n%v", got, want)
	}
}

func TestImportCells(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		comms := e.p["a"][authz.CommsOfficer]
		good := "community;language;age_band;size;source;year\n" +
			"tal  AFAR;ar;18-24;12000;Census;2024\n" + // by name, case and spaces aside
			"com-a-2;ar;18-24;800;Census;2024\n" + // by id
			";ar;13-17;90000;Online survey;2025\n" // no community
		res, err := e.svc.ImportCells(ctx, comms, "req", strings.NewReader(good))
		if err != nil || counts(res) != "created 3 updated 0 unchanged 0" || len(res.Errors) != 0 {
			t.Fatalf("import %s %v %v", counts(res), res.Errors, err)
		}
		cells, _ := e.svc.Cells(ctx, "tenant-a")
		byCommunity := map[string]model.Cell{}
		for _, c := range cells {
			byCommunity[c.CommunityID] = c
		}
		if len(cells) != 3 || byCommunity["com-a-1"].Size != 12000 || byCommunity["com-a-2"].Size != 800 || byCommunity[""].Source != "Online survey" {
			t.Fatalf("cells %+v", cells)
		}
		audits := auditCount(t, db, "tenant-a")

		res, err = e.svc.ImportCells(ctx, comms, "req", strings.NewReader(good))
		if err != nil || counts(res) != "created 0 updated 0 unchanged 3" {
			t.Fatalf("re-import %s %v", counts(res), err)
		}
		res, err = e.svc.ImportCells(ctx, comms, "req", strings.NewReader(strings.Replace(good, "800", "850", 1)+"Sinjar;ar;35+;1;x;2020\n"))
		if err != nil || counts(res) != "created 1 updated 1 unchanged 2" {
			t.Fatalf("update %s %v", counts(res), err)
		}
		if c, _ := e.svc.Cell(ctx, "tenant-a", byCommunity["com-a-2"].ID); c.Size != 850 {
			t.Fatalf("not updated: %+v", c)
		}

		// A file with good rows and many kinds of bad ones writes nothing and lists
		// every bad row.
		var b strings.Builder
		b.WriteString("community,language,age_band,size,source,year\n")
		for i := range 20 { // lines 2..21: good new cells
			fmt.Fprintf(&b, "Tal Afar,ar-%d,25-34,%d,Census,2024\n", 1000+i, i)
		}
		b.WriteString("Mosul,ar,18-24,1,x,2024\n" + // 22: no such community
			"com-b-1,ar,18-24,1,x,2024\n" + // 23: another tenant's community
			"Tal Afar,ar,18-24,-5,x,2024\n" + // 24: negative size
			"Tal Afar,ar,18-24,1,x,1850\n" + // 25: year
			"com-a-1,ar-1001,25-34,1,x,2024\n" + // 26: line 3 again, by id
			"Sinjar,xx-yy-zz-!!,35+,1,x,2024\n") // 27: language
		before, _ := e.svc.Cells(ctx, "tenant-a")
		res, err = e.svc.ImportCells(ctx, comms, "req", strings.NewReader(b.String()))
		rejectedWith(t, res, err, []string{"22:community:csv_unknown_community", "23:community:csv_unknown_community",
			"24:size:size", "25:year:year", "26::csv_duplicate_row", "27:language:language"})
		if res.Incomplete {
			t.Fatal("incomplete")
		}
		var ee *errs.Error
		if errors.As(err, &ee); !reflect.DeepEqual(ee.Args, []any{6}) {
			t.Fatalf("args %v", ee.Args)
		}
		if after, _ := e.svc.Cells(ctx, "tenant-a"); !reflect.DeepEqual(before, after) {
			t.Fatalf("a rejected import wrote: %d cells, were %d", len(after), len(before))
		}
		if got := auditCount(t, db, "tenant-a"); got != audits+2 {
			t.Fatalf("audit entries %d, want %d (one per applied import)", got, audits+2)
		}

		// 300 bad rows: 100 listed, marked incomplete.
		b.Reset()
		b.WriteString("community,language,age_band,size,source,year\n")
		for range 300 {
			b.WriteString("Nowhere,ar,18-24,1,x,2024\n")
		}
		res, err = e.svc.ImportCells(ctx, comms, "req", strings.NewReader(b.String()))
		if errs.KindOf(err) != errs.Invalid || len(res.Errors) != model.MaxListedErrors || !res.Incomplete {
			t.Fatalf("%d errors, incomplete %v, err %v", len(res.Errors), res.Incomplete, err)
		}

		// Names are looked up in the importer's tenant only; a name two communities
		// share must be given by id.
		if _, err := e.svc.ImportCells(ctx, e.p["b"][authz.Supervisor], "req", strings.NewReader("community,language,age_band,size,source,year\nTal Afar,ar,18-24,5,x,2024\n")); err != nil {
			t.Fatal(err)
		}
		if l, _ := e.svc.Cells(ctx, "tenant-b"); len(l) != 1 || l[0].CommunityID != "com-b-1" {
			t.Fatalf("tenant b cells %+v", l)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO communities (id, tenant_id, name, kind, region, languages, brief, chain_version, created_by, created_at, updated_by, updated_at)
				VALUES ('com-a-3', 'tenant-a', 'SINJAR', 'place', '', '', '', 0, 'u', 1, 'u', 1)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		res, err = e.svc.ImportCells(ctx, comms, "req", strings.NewReader("community,language,age_band,size,source,year\nSinjar,ar,18-24,5,x,2024\ncom-a-3,ar,18-24,5,x,2024\n"))
		rejectedWith(t, res, err, []string{"2:community:csv_ambiguous_community"})

		// Parser and resolution errors come back together, in file order.
		res, err = e.svc.ImportCells(ctx, comms, "req", strings.NewReader("community,language,age_band,size,source,year\n"+
			"Nowhere,ar,18-24,5,x,2024\n"+"Sinjar,ar,18-24,five,x,2024\n"+"Elsewhere,ar,35+,5,x,2024\n"))
		rejectedWith(t, res, err, []string{"2:community:csv_unknown_community", "3:size:csv_number", "4:community:csv_unknown_community"})

		_, err = e.svc.ImportCells(ctx, e.p["a"][authz.CaseWorker], "req", strings.NewReader(good))
		kindOf(t, err, errs.Forbidden)
		res, err = e.svc.ImportCells(ctx, comms, "req", strings.NewReader("language,age_band\n"))
		rejectedWith(t, res, err, []string{"1:size:csv_missing_column", "1:source:csv_missing_column", "1:year:csv_missing_column"})
	})
}

func TestImportReachPickupsOptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		comms := e.p["a"][authz.CommsOfficer]
		if _, err := e.svc.ImportCells(ctx, comms, "req", strings.NewReader("community,language,age_band,size,source,year\n"+
			"Tal Afar,ar,18-24,12000,Census,2024\nTal Afar,ar,35+,30000,Census,2024\n,ar,18-24,500000,Survey,2025\n")); err != nil {
			t.Fatal(err)
		}

		links := "channel,community,language,age_band,probability\n" +
			"Radio Nineveh,Tal Afar,ar,18-24,30%\n" +
			"ch-a-radio,Tal Afar,ar,35+,0.5\n" +
			"Youth page,,ar,18-24,0.02\n"
		res, err := e.svc.ImportReach(ctx, comms, "req", strings.NewReader(links))
		if err != nil || counts(res) != "created 3 updated 0 unchanged 0" {
			t.Fatalf("reach %s %v %v", counts(res), res.Errors, err)
		}
		res, err = e.svc.ImportReach(ctx, comms, "req", strings.NewReader(strings.Replace(links, "0.5", "0.6", 1)))
		if err != nil || counts(res) != "created 0 updated 1 unchanged 2" {
			t.Fatalf("reach again %s %v", counts(res), err)
		}
		res, err = e.svc.ImportReach(ctx, comms, "req", strings.NewReader("channel,community,language,age_band,probability\n"+
			"Radio Nineveh,Tal Afar,ar,13-17,0.3\n"+ // 2: no such cell
			"Radio Nineveh,Tal Afar,ar,18-24,0.3\n"+ // 3: good
			"ch-a-radio,com-a-1,ar,18-24,0.4\n"+ // 4: line 3 again, by ids
			"ch-b-radio,Tal Afar,ar,18-24,0.4\n"+ // 5: another tenant's channel
			"TV,Nowhere,ar,18-24,0.4\n")) // 6: two unknown names
		rejectedWith(t, res, err, []string{"2:age_band:csv_unknown_cell", "4::csv_duplicate_row", "5:channel:csv_unknown_channel",
			"6:channel:csv_unknown_channel", "6:community:csv_unknown_community"})

		pickups := "from_channel;to_channel;probability\nRadio Nineveh;Youth page;0,2\nYouth page;Community hall;0,05\n"
		res, err = e.svc.ImportPickups(ctx, comms, "req", strings.NewReader(pickups))
		if err != nil || counts(res) != "created 2 updated 0 unchanged 0" {
			t.Fatalf("pickups %s %v %v", counts(res), res.Errors, err)
		}
		res, err = e.svc.ImportPickups(ctx, comms, "req", strings.NewReader("from_channel,to_channel,probability\n"+
			"Radio Nineveh,ch-a-radio,0.3\n"+ // 2: the same channel by name and id
			"Radio Nineveh,Youth page,0.3\n"+ // 3: good (an update)
			"Radio Nineveh,ch-b-page,0.3\n")) // 4: another tenant's
		rejectedWith(t, res, err, []string{"2:to_channel:self_loop", "4:to_channel:csv_unknown_channel"})
		if pk, _ := e.svc.Pickup(ctx, "tenant-a", "ch-a-radio", "ch-a-page"); pk.Probability != 0.2 {
			t.Fatalf("a rejected import changed a pickup: %+v", pk)
		}

		options := "title,kind,channel,community,language,identity_level,speaker,money,speaker_hours,notes\n" +
			"Forum at the hall,public_forum,Community hall,Tal Afar,ar,alias_protected,abu omar,300,4,\"bring tea\"\n" +
			"Radio interview,media_interview,Radio Nineveh,,ar,audio_revoiced,ret-a,0,2,\n" +
			"Clip,publication,Youth page,,ar,text_only,,50,0,\n"
		res, err = e.svc.ImportOptions(ctx, comms, "req", strings.NewReader(options))
		if err != nil || counts(res) != "created 3 updated 0 unchanged 0" {
			t.Fatalf("options %s %v %v", counts(res), res.Errors, err)
		}
		opts, _ := e.svc.Options(ctx, "tenant-a")
		if len(opts) != 3 || opts[1].Title != "Forum at the hall" || opts[1].SpeakerID != "ret-a" || opts[1].CommunityID != "com-a-1" || opts[1].Notes != "bring tea" {
			t.Fatalf("options %+v", opts)
		}
		res, err = e.svc.ImportOptions(ctx, comms, "req", strings.NewReader(strings.Replace(options, ",50,", ",75,", 1)))
		if err != nil || counts(res) != "created 0 updated 1 unchanged 2" {
			t.Fatalf("options again %s %v", counts(res), err)
		}
		res, err = e.svc.ImportOptions(ctx, comms, "req", strings.NewReader("title,kind,channel,language,identity_level,speaker,money,speaker_hours\n"+
			"A,school_talk,Community hall,ar,full,Gone,0,1\n"+ // 2: an erased returnee
			"B,school_talk,Community hall,ar,full,ret-b,0,1\n"+ // 3: another tenant's returnee
			"C,school_talk,Community hall,ar,full,,0,1\n")) // 4: good
		rejectedWith(t, res, err, []string{"2:speaker:csv_unknown_speaker", "3:speaker:csv_unknown_speaker"})

		m, err := e.svc.Model(ctx, "tenant-a")
		if err != nil || len(m.Cells) != 3 || len(m.Links) != 3 || len(m.Pickups) != 2 || len(m.Options) != 3 {
			t.Fatalf("model %d cells %d links %d pickups %d options, %v", len(m.Cells), len(m.Links), len(m.Pickups), len(m.Options), err)
		}
	})
}
