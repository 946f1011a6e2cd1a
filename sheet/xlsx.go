package sheet

import (
	"bytes"
	"strconv"

	"github.com/xuri/excelize/v2"
	"songnuan/bot"
	"songnuan/domain"
)

// unzipLimit bounds what a 20 MiB upload may expand to, so a zip bomb is
// refused by excelize instead of filling memory or the temp directory.
// excelize reads the parts one after another and checks the running total
// against it, so a hostile file can still make the bot hold about this
// much: a list at MaxRows with every column expands to about 20 MiB.
const unzipLimit = 64 << 20

// readXLSX reads the first sheet of a workbook that has a header row.
func readXLSX(data []byte) ([]bot.ImportRow, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: unzipLimit})
	if err != nil {
		// Whatever excelize objects to (bad zip, missing parts, over the
		// unzip limit), the worker's remedy is the same: save it again.
		return nil, domain.Userf(msgBroken)
	}
	defer func() { _ = f.Close() }()
	for _, name := range f.GetSheetList() {
		rows, found, err := readSheet(f, name)
		if err != nil {
			return nil, err
		}
		if found {
			return rows, nil
		}
	}
	return nil, domain.Userf(msgNoHeader)
}

// readSheet reads one worksheet; found is false when none of its first
// rows is a header, so the caller tries the next sheet.
func readSheet(f *excelize.File, name string) (rows []bot.ImportRow, found bool, err error) {
	it, err := f.Rows(name)
	if err != nil {
		return nil, false, domain.Userf(msgBroken)
	}
	defer func() { _ = it.Close() }()
	var sink *rowSink
	for line := 1; it.Next(); line++ {
		cells, err := it.Columns()
		if err != nil {
			return nil, false, domain.Userf(msgBroken)
		}
		if sink == nil {
			if line > headerScan {
				return nil, false, nil
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
			if canon == ColID {
				v = idValue(f, name, idx, line, v)
			}
			return v
		})
		if err != nil {
			return nil, false, err
		}
	}
	if err := it.Error(); err != nil {
		return nil, false, domain.Userf(msgBroken)
	}
	if sink == nil {
		return nil, false, nil
	}
	return sink.rows, true, nil
}

// idValue returns an ID cell so that one Excel stored as a number is
// always in scientific notation (see ReadRows).
//
// excelize already renders a number of more than 15 significant digits as
// 3.10107199001011E+17. A number cell still shows plain digits only when it
// has at most 15 significant digits followed by zeros, so the cell's type
// is looked up just for such values: a text cell holding a real ID number
// (last digits not all zero, or ending in X) is never looked up, which
// keeps a large list from being parsed a second time.
func idValue(f *excelize.File, sheet string, col, row int, v string) string {
	if !maybeNumber(v) {
		return v
	}
	ref, err := excelize.CoordinatesToCellName(col+1, row)
	if err != nil {
		return v
	}
	typ, err := f.GetCellType(sheet, ref)
	if err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
		return v
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	return strconv.FormatFloat(x, 'E', -1, 64)
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
