package sheet

import (
	"archive/zip"
	"bytes"
	"strconv"

	"github.com/xuri/excelize/v2"
	"songnuan/bot"
	"songnuan/domain"
)

// readXLSX reads the first sheet of a workbook that has a header row.
// Worksheets and shared strings are streamed (from temporary files when
// large), row by row; see unzip.go for the caps on each part.
func readXLSX(data []byte) ([]bot.ImportRow, error) {
	if err := checkUnzip(data); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, domain.Userf(msgBroken)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: unzipLimit, UnzipXMLSizeLimit: xlsxXMLInMemory,
	})
	if err != nil {
		// Whatever excelize objects to (bad zip, missing parts, over the
		// unzip limit), the worker's remedy is the same: save it again.
		return nil, domain.Userf(msgBroken)
	}
	defer func() { _ = f.Close() }()
	var parts map[string]string // sheet name → part, read when first needed
	for _, name := range f.GetSheetList() {
		rows, pending, found, err := readSheet(f, name)
		if err != nil {
			return nil, err
		}
		if found {
			if len(pending) > 0 {
				if parts == nil {
					parts = sheetParts(zr)
				}
				numericIDs(rows, pending, numberCells(zr, parts[name], pending))
			}
			return rows, nil
		}
	}
	return nil, domain.Userf(msgNoHeader)
}

// readSheet reads one worksheet; found is false when none of its first
// rows is a header, so the caller tries the next sheet. pending holds the
// references of ID cells whose type decides how they read (see
// numericIDs), by line.
func readSheet(f *excelize.File, name string) (rows []bot.ImportRow, pending map[string]bool, found bool, err error) {
	it, err := f.Rows(name)
	if err != nil {
		return nil, nil, false, domain.Userf(msgBroken)
	}
	defer func() { _ = it.Close() }()
	var sink *rowSink
	for line := 1; it.Next(); line++ {
		cells, err := it.Columns()
		if err != nil {
			return nil, nil, false, domain.Userf(msgBroken)
		}
		if sink == nil {
			if line > headerScan {
				return nil, nil, false, nil
			}
			if h, ok := matchHeader(cells); ok {
				sink = &rowSink{hdr: h}
			}
			continue
		}
		err = sink.add(line, func(canon string, idx int) string {
			if idx >= len(cells) {
				return ""
			}
			v := cleanCell(cells[idx])
			if canon == ColID && maybeNumber(v) {
				if ref, err := excelize.CoordinatesToCellName(idx+1, line); err == nil {
					if pending == nil {
						pending = map[string]bool{}
					}
					pending[ref] = true
				}
			}
			return v
		})
		if err != nil {
			return nil, nil, false, err
		}
	}
	if err := it.Error(); err != nil {
		return nil, nil, false, domain.Userf(msgBroken)
	}
	if sink == nil {
		return nil, nil, false, nil
	}
	return sink.rows, pending, true, nil
}

// numericIDs rewrites the ID cells that are numbers in scientific
// notation, so that one Excel stored as a number always reads that way
// (see ReadRows).
//
// excelize already renders a number of more than 15 significant digits as
// 3.10107199001011E+17. A number cell still shows plain digits only when it
// has at most 15 significant digits followed by zeros, so the cell's type
// is looked up just for such values (pending): a text cell holding a real
// ID number (last digits not all zero, or ending in X) is never looked up.
// The lookup streams the worksheet once more for those cells only.
func numericIDs(rows []bot.ImportRow, pending, number map[string]bool) {
	lines := map[int]bool{} // lines whose ID cell is a number
	for ref := range pending {
		if _, line, err := excelize.CellNameToCoordinates(ref); err == nil && number[ref] {
			lines[line] = true
		}
	}
	for i := range rows {
		if !lines[rows[i].Line] {
			continue
		}
		if x, err := strconv.ParseFloat(rows[i].Fields[ColID], 64); err == nil {
			rows[i].Fields[ColID] = strconv.FormatFloat(x, 'E', -1, 64)
		}
	}
}

// maybeNumber reports whether v could be how excelize shows a number cell
// in plain digits: all digits, and past the 15th digit only zeros.
func maybeNumber(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' || (i >= 15 && v[i] != '0') {
			return false
		}
	}
	return true
}
