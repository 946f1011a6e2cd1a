package app_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"songnuan/wecom"
)

// TestSheetMemory measures, in a real bot process (built without the race
// detector when the test is), the peak resident memory that household
// lists cost above idle: a hostile file (a small .xlsx with one 63 MiB
// part), one to eight of them at once, and a real 50,000-row list. It
// prints the figures for BENCHMARKS.md and asserts nothing about them; it
// runs only with SONGNUAN_SHEETMEM=1:
//
//	SONGNUAN_SHEETMEM=1 go test -run TestSheetMemory -v ./app/
func TestSheetMemory(t *testing.T) {
	if os.Getenv("SONGNUAN_SHEETMEM") == "" {
		t.Skip("set SONGNUAN_SHEETMEM=1 to measure")
	}
	cl := startCluster(t, 1, map[string]string{"LOG_LEVEL": "warn"})
	p := cl.procs[0]
	hostile := hostileXLSX(t, "xl/styles.xml", 63)
	cl.fake.PutMedia("media-hostile", "名单.xlsx", hostile)
	list := realList(t, 50000)
	cl.fake.PutMedia("media-list", "名单.xlsx", list)
	t.Logf("hostile file %d bytes, 50,000-row list %d bytes", len(hostile), len(list))

	n := 0
	send := func(user, media string, k int) {
		var wg sync.WaitGroup
		for range k {
			n++
			id := fmt.Sprint(7900000000000000000 + n)
			wg.Add(1)
			go func() {
				defer wg.Done()
				since := lastSent(cl)
				code, reply, err := cl.senders[0].deliver(wecom.Message{FromUserName: user, MsgType: "file", MediaID: media,
					FileName: "名单.xlsx", MsgID: id})
				if err != nil || code != http.StatusOK {
					t.Errorf("file: HTTP %d %v", code, err)
					return
				}
				if reply == "" {
					for end := time.Now().Add(3 * time.Minute); reply == "" && time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
						for _, r := range cl.fake.SentTo(user, since) {
							if strings.Contains(r.Text, "导入") || strings.Contains(r.Text, "文件打不开") {
								reply = r.Text
							}
						}
					}
				}
				if reply == "" {
					t.Errorf("file %s never answered", id)
				}
			}()
		}
		wg.Wait()
	}
	idle := status(t, p, "VmRSS")
	t.Logf("idle RSS %d MB", idle>>10)
	for k := 1; k <= 8; k++ {
		resetPeak(t, p)
		send("w1", "media-hostile", k)
		t.Logf("hostile file ×%d at once: peak RSS %d MB, %d MB above idle", k, status(t, p, "VmHWM")>>10, (status(t, p, "VmHWM")-idle)>>10)
	}
	resetPeak(t, p)
	send("w1", "media-list", 1)
	t.Logf("50,000-row list: peak RSS %d MB, %d MB above idle", status(t, p, "VmHWM")>>10, (status(t, p, "VmHWM")-idle)>>10)
}

// status reads a field of /proc/<pid>/status in KiB.
func status(t *testing.T, p *proc, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc status", field)
	return 0
}

// resetPeak sets the process's peak RSS (VmHWM) back to its current RSS.
func resetPeak(t *testing.T, p *proc) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0); err != nil {
		t.Fatal(err)
	}
}

// hostileXLSX is a small .xlsx whose part name expands to mib MiB of
// repeated XML.
func hostileXLSX(t *testing.T, name string, mib int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("[Content_Types].xml")
	if err == nil {
		_, err = w.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`))
	}
	if err != nil {
		t.Fatal(err)
	}
	w, err = zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	chunk := []byte(strings.Repeat(`<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>`, 20000)[:1<<20])
	for range mib {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// realList is an .xlsx of n households of 甘泉一村 as Excel writes them
// (shared strings), every column filled.
func realList(t *testing.T, n int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"户主", "人数", "类别", "身份证", "电话", "地址", "居委"}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{fmt.Sprintf("户主%d", i), strconv.Itoa(i%5 + 1), "低保",
			idWith(fmt.Sprintf("310107%04d%02d%02d%03d", 1930+i/1000, 1+i%12, 1+i%28, i%1000)),
			fmt.Sprintf("139%08d", i), fmt.Sprintf("甘泉路%d弄%d号%d室", i%300, i%50, i%700), "甘泉一村"}
		if err := f.SetSheetRow("Sheet1", ref, &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
