package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
)

// bomb is a zip entry expanding to n bytes of repeated XML, what a zip
// bomb holds. Its deflate stream is one compressed 1 MiB block repeated
// (each copy refers only to itself) and a final empty block, so building
// a large bomb costs next to nothing.
type bomb struct {
	n    int64
	crc  uint32
	comp []byte
}

func newBomb(t *testing.T, mib int) bomb {
	t.Helper()
	chunk := []byte(strings.Repeat(`<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>`, 20000)[:1<<20])
	var block bytes.Buffer
	fw, _ := flate.NewWriter(&block, flate.BestSpeed)
	if _, err := fw.Write(chunk); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil { // ends the block on a byte boundary, not final
		t.Fatal(err)
	}
	b := bomb{n: int64(mib) << 20}
	for range mib {
		b.comp = append(b.comp, block.Bytes()...)
		b.crc = crc32.Update(b.crc, crc32.IEEETable, chunk)
	}
	b.comp = append(b.comp, 0x03, 0x00) // a final, empty fixed-Huffman block
	return b
}

// zipPart is one entry of a test zip: a bomb, or small data stored as is.
// declared, when not zero, is the size its headers claim, as a hostile
// file may lie.
type zipPart struct {
	name     string
	bomb     bomb
	data     []byte
	declared int64
}

func zipOf(t *testing.T, parts []zipPart) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.data != nil {
			w, err = zw.Create(p.name)
			if err == nil {
				_, err = w.Write(p.data)
			}
		} else {
			size := p.bomb.n
			if p.declared != 0 {
				size = p.declared
			}
			w, err = zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, CRC32: p.bomb.crc,
				CompressedSize64: uint64(len(p.bomb.comp)), UncompressedSize64: uint64(size)})
			if err == nil {
				_, err = w.Write(p.bomb.comp)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestZipBombsAreRefusedUnexpanded: a list that would expand past the
// unzip cap is refused as broken, whether its headers declare the true
// size or lie about it, having cost at most about the cap in memory.
func TestZipBombsAreRefusedUnexpanded(t *testing.T) {
	over := newBomb(t, unzipLimit>>20+2)
	half := newBomb(t, unzipLimit>>21+1)
	contentTypes := zipPart{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)}
	cases := []struct {
		name  string
		parts []zipPart
	}{
		{"one part over the cap", []zipPart{contentTypes, {name: "xl/styles.xml", bomb: over}}},
		{"parts adding up past the cap", []zipPart{contentTypes,
			{name: "xl/styles.xml", bomb: half}, {name: "xl/theme/theme1.xml", bomb: half}, {name: "docProps/app.xml", bomb: half}}},
		{"headers that lie", []zipPart{contentTypes, {name: "xl/styles.xml", bomb: over, declared: 1000}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := zipOf(t, c.parts)
			if len(data) > MaxBytes {
				t.Fatalf("the bomb is %d bytes, over the upload cap: it tests nothing", len(data))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rows, err := ReadRows("名单.xlsx", data)
			runtime.ReadMemStats(&after)
			if rows != nil {
				t.Fatalf("read %d rows from a zip bomb", len(rows))
			}
			wantUserError(t, err, "重新保存")
			// Parts under the cap are read whole before the next one's size
			// shows the total is over it; buffers grow by doubling.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 3*unzipLimit {
				t.Errorf("reading a %d-byte bomb allocated %d MiB", len(data), grew>>20)
			}
		})
	}
}

// TestFullListFitsUnderTheUnzipCap: the cap leaves room for the largest
// list the bot accepts, MaxRows households with every column, which
// expands in proportion to its rows.
func TestFullListFitsUnderTheUnzipCap(t *testing.T) {
	const sample = MaxRows / 10
	data := benchXLSX(t, sample)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var expanded uint64
	for _, f := range zr.File {
		expanded += f.UncompressedSize64
	}
	full := expanded * MaxRows / sample
	if full*2 > unzipLimit {
		t.Errorf("a full list expands to about %d MiB, too close to the %d MiB cap", full>>20, unzipLimit>>20)
	}
	// A hostile file can make the bot hold about the cap in memory, so
	// the cap stays within a few times what the largest real list needs.
	if full*8 < unzipLimit {
		t.Errorf("a full list expands to about %d MiB: a %d MiB cap lets a hostile file cost far more", full>>20, unzipLimit>>20)
	}
	rows, err := ReadRows("名单.xlsx", data)
	if err != nil || len(rows) != sample {
		t.Fatalf("%d-row list: %d rows, %v", sample, len(rows), err)
	}
}

// TestBombExpands checks the test's bombs are what they claim: valid zip
// entries expanding to their size, so a refusal is the cap's doing and not
// a broken archive's.
func TestBombExpands(t *testing.T) {
	data := zipOf(t, []zipPart{{name: "xl/styles.xml", bomb: newBomb(t, 3)}})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != 3<<20 {
		t.Fatalf("the bomb expands to %d bytes, %v; want 3 MiB", n, err)
	}
}

// TestOnePartJustUnderTheOldCapCostsNoMemory: a 66 KB file whose one part
// expands to 63 MiB, under the cap for the whole file, used to be read
// whole into memory (and a styles part parsed, at several times its
// size). Each part now has a cap of its own, checked while it streams
// through: the file is refused having allocated next to nothing.
func TestOnePartJustUnderTheOldCapCostsNoMemory(t *testing.T) {
	contentTypes := zipPart{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)}
	for _, part := range []string{"xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"} {
		t.Run(part, func(t *testing.T) {
			data := zipOf(t, []zipPart{contentTypes, {name: part, bomb: newBomb(t, 63)}})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rows, err := ReadRows("名单.xlsx", data)
			runtime.ReadMemStats(&after)
			if rows != nil {
				t.Fatalf("read %d rows from a %d-byte file with a 63 MiB part", len(rows), len(data))
			}
			wantUserError(t, err, "重新保存")
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("reading a %d-byte file with one 63 MiB part allocated %d MiB, want under 8", len(data), grew>>20)
			}
		})
	}
}
