package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"songnuan/bot"
	"songnuan/domain"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeText returns a .csv file as UTF-8. Excel in China saves "CSV" as
// GBK and "Unicode text" as UTF-16, so anything that is not valid UTF-8 is
// read as GB18030 (a superset of GBK and GB2312).
func decodeText(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		return data[len(bomUTF8):], nil
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
	case utf8.Valid(data):
		return data, nil
	}
	return simplifiedchinese.GB18030.NewDecoder().Bytes(data)
}

// readCSV reads a comma- or tab-separated household list.
func readCSV(data []byte) ([]bot.ImportRow, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, domain.Userf(msgBroken)
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	if first, _, _ := bytes.Cut(text, []byte("\n")); !bytes.ContainsRune(first, ',') && bytes.ContainsRune(first, '\t') {
		r.Comma = '\t'
	}

	// encoding/csv skips blank lines, which Excel shows as rows; the sheet
	// row is recovered from each record's starting line and where the
	// previous record ended (a quoted cell may span lines).
	var (
		sink    *rowSink
		row     int
		endLine int
	)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, domain.Userf(msgBroken)
		}
		start, _ := r.FieldPos(0)
		row += start - endLine
		last := len(rec) - 1
		endLine, _ = r.FieldPos(last)
		endLine += strings.Count(rec[last], "\n")

		if sink == nil {
			if row > headerScan {
				return nil, domain.Userf(msgNoHeader)
			}
			if h, ok := matchHeader(rec); ok {
				sink = &rowSink{hdr: h}
			}
			continue
		}
		err = sink.add(row, func(canon string, idx int) string {
			if idx >= len(rec) {
				return ""
			}
			return cleanCell(rec[idx])
		})
		if err != nil {
			return nil, err
		}
	}
	if sink == nil {
		return nil, domain.Userf(msgNoHeader)
	}
	return sink.rows, nil
}
