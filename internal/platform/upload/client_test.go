package upload

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

type harnessResult struct {
	Done           bool    `json:"done"`
	ID             string  `json:"id"`
	Error          string  `json:"error"`
	ProgressEvents int     `json:"progressEvents"`
	LastPercent    float64 `json:"lastPercent"`
	Monotonic      bool    `json:"monotonic"`
	Retries        int     `json:"retries"`
	SawEta         bool    `json:"sawEta"`
}

// runHarness runs ClientJS under Node for one "page load".
func runHarness(t *testing.T, f *fixture, dataFile, storageFile string, pauseAt int) harnessResult {
	t.Helper()
	js := filepath.Join(t.TempDir(), "upload.js")
	if err := os.WriteFile(js, []byte(ClientJS), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "node", "testdata/client_harness.js")
	cmd.Env = append(os.Environ(), "CLIENT_JS="+js, "DATA_FILE="+dataFile, "STORAGE_FILE="+storageFile,
		"ENDPOINT="+f.srv.URL+"/api/uploads", "PAUSE_AT="+strconv.Itoa(pauseAt))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var res harnessResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("harness output %q: %v", out, err)
	}
	return res
}

// TestClientJS drives the browser client (under Node's fetch) through a 503, a dropped
// connection, a reload half-way through, and the resume that follows.
func TestClientJS(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not installed: .ci/run installs it (apt nodejs)")
		}
		t.Skip("node is not installed (apt install nodejs): the browser upload client is not exercised")
	}
	f := newFixture(t, nil)
	data := testData(6*MinChunk + 999)
	dataFile := filepath.Join(t.TempDir(), "recording.mp4")
	os.WriteFile(dataFile, data, 0o600)
	storageFile := filepath.Join(t.TempDir(), "storage.json")

	var mu sync.Mutex
	var log []string // "METHOD first-byte" of each request that reached the handlers
	puts := 0
	f.setMiddleware(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		first := ""
		if cr := r.Header.Get("Content-Range"); cr != "" {
			first = strings.TrimPrefix(strings.Split(cr, "-")[0], "bytes ")
		}
		if r.Method == "PUT" {
			puts++
			switch puts {
			case 2: // the server is briefly overloaded
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return true
			case 4: // the connection drops mid-request
				conn, _, _ := http.NewResponseController(w).Hijack()
				conn.Close()
				return true
			}
		}
		log = append(log, r.Method+" "+first)
		return false
	})

	// First page load: stops once 3.5 chunks are sent, as if the page were closed.
	res := runHarness(t, f, dataFile, storageFile, 3*MinChunk+MinChunk/2)
	if res.Done || res.Error != "paused" {
		t.Fatalf("first run: %+v", res)
	}
	t.Logf("first run: %+v", res)
	if res.Retries < 2 {
		t.Fatalf("first run retried %d times; the 503 and the drop should each cost one", res.Retries)
	}
	mu.Lock()
	log = nil
	mu.Unlock()

	// Second page load: the same file is chosen again.
	res = runHarness(t, f, dataFile, storageFile, 0)
	if !res.Done || res.LastPercent != 100 || !res.Monotonic || !res.SawEta {
		t.Fatalf("second run: %+v", res)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("second run: %+v; requests %v", res, log)
	if len(log) < 2 || log[0] != "HEAD " || !strings.HasPrefix(log[1], "PUT ") || log[1] == "PUT 0" {
		t.Fatalf("second run did not resume from the server's offset: %v", log)
	}
	for _, l := range log {
		if strings.HasPrefix(l, "POST") {
			t.Fatalf("second run created a new upload: %v", log)
		}
	}
	if !sameBytes(f.rc.get(res.ID), data) {
		t.Fatal("the client's upload differs from the file")
	}
	if b, _ := os.ReadFile(storageFile); strings.Contains(string(b), "location") || strings.Contains(string(b), "recording") {
		t.Fatalf("storage after completion: %s", b)
	}
}
