package sheet

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"

	"songnuan/domain"
)

// Limits on what an .xlsx may expand to, checked part by part on the real
// decompressed bytes before excelize opens the file (a zip's headers may
// lie about sizes). A list at MaxRows with every column expands to about
// 20 MiB, most of it the worksheet and the shared strings; excelize
// streams those two from temporary files (see xlsxXMLInMemory), so what
// they cost is disk, not memory. Every other part (styles, theme,
// workbook, relationships) is read whole into memory and parsed into
// structures several times its size, so it is kept small: a real one is
// a few KiB, and even a heavily formatted workbook's styles stay well
// under the cap.
const (
	maxSheetPart    = 40 << 20 // one worksheet, or the shared strings
	maxOtherPart    = 2 << 20  // any other part
	unzipLimit      = 64 << 20 // all parts together
	maxZipParts     = 1000     // entries in the archive
	xlsxXMLInMemory = 1 << 20  // worksheets and shared strings over this are streamed from disk
)

// streamedPart reports whether excelize streams the part from a temporary
// file when it is large: the worksheets and the shared strings.
func streamedPart(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
	return strings.HasPrefix(n, "xl/worksheets/sheet") || n == "xl/sharedstrings.xml"
}

// checkUnzip expands every part of an .xlsx into nothing, counting, and
// refuses the file when a part or the whole is over its cap. It holds no
// more than the decompressor's window in memory, whatever the file.
func checkUnzip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return domain.Userf(msgBroken)
	}
	if len(zr.File) > maxZipParts {
		return domain.Userf(msgBroken)
	}
	var total int64
	for _, f := range zr.File {
		limit := int64(maxOtherPart)
		if streamedPart(f.Name) {
			limit = maxSheetPart
		}
		if f.UncompressedSize64 > uint64(limit) {
			return domain.Userf(msgBroken)
		}
		rc, err := f.Open()
		if err != nil {
			return domain.Userf(msgBroken)
		}
		// archive/zip stops with an error as soon as a part expands past
		// the size its header declares, so a lying header is caught too.
		n, err := io.Copy(io.Discard, io.LimitReader(rc, limit+1))
		rc.Close()
		total += n
		if err != nil || n > limit || total > unzipLimit {
			return domain.Userf(msgBroken)
		}
	}
	return nil
}
