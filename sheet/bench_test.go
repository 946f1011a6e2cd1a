package sheet

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// benchID returns an 18-character ID number with a valid check digit
// (GB 11643) for row i, so about one in a thousand ends in 000 as real
// lists do.
func benchID(i int) string {
	body := fmt.Sprintf("310107%04d%02d%02d%03d", 1930+i%70, 1+i%12, 1+i%28, i%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k, w := range weights {
		sum += int(body[k]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// benchXLSX builds an n-row household list with the stream writer.
func benchXLSX(tb testing.TB, n int) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	if err := sw.SetRow("A1", canonHeader); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		err := sw.SetRow(ref, []any{fmt.Sprintf("户主%d", i), i%5 + 1, "低保", benchID(i),
			fmt.Sprintf("138%08d", i), fmt.Sprintf("甘泉路%d号", i), "甘泉一村"})
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func benchCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("户主,人数,类别,身份证,电话,地址,居委\r\n")
	for i := range n {
		fmt.Fprintf(&b, "户主%d,%d,低保,%s,138%08d,甘泉路%d号,甘泉一村\r\n", i, i%5+1, benchID(i), i, i)
	}
	return []byte(b.String())
}

func BenchmarkReadRows10k(b *testing.B) {
	for _, c := range []struct {
		name, file string
		data       []byte
	}{
		{"xlsx", "a.xlsx", benchXLSX(b, 10000)},
		{"csv", "a.csv", benchCSV(10000)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				rows, err := ReadRows(c.file, c.data)
				if err != nil || len(rows) != 10000 {
					b.Fatalf("%d rows, err %v", len(rows), err)
				}
			}
		})
	}
}
