package sheet

import (
	"archive/zip"
	"encoding/xml"
	"io"
	"path"
	"strings"
)

// numberCells streams a worksheet part and reports which of the wanted
// cells (by reference, e.g. "D12") are number cells: no t attribute, or
// t="n". It holds one XML token at a time, where excelize's GetCellType
// would parse the whole worksheet into memory, about 2 KB a row.
func numberCells(zr *zip.Reader, part string, want map[string]bool) map[string]bool {
	out := map[string]bool{}
	f := zipFile(zr, part)
	if f == nil {
		return out
	}
	rc, err := f.Open()
	if err != nil {
		return out
	}
	defer rc.Close()
	d := xml.NewDecoder(io.LimitReader(rc, maxSheetPart))
	for left := len(want); left > 0; {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "c" {
			continue
		}
		var ref, typ string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "r":
				ref = a.Value
			case "t":
				typ = a.Value
			}
		}
		if want[ref] {
			out[ref] = typ == "" || typ == "n"
			left--
		}
	}
	return out
}

// sheetParts maps each worksheet's name to its part in the archive, read
// from the workbook and its relationships.
func sheetParts(zr *zip.Reader) map[string]string {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if !decodePart(zr, "xl/workbook.xml", &wb) || !decodePart(zr, "xl/_rels/workbook.xml.rels", &rels) {
		return nil
	}
	target := map[string]string{}
	for _, r := range rels.Rel {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		target[r.ID] = t
	}
	out := map[string]string{}
	for _, s := range wb.Sheets {
		if t, ok := target[s.RID]; ok {
			out[s.Name] = t
		}
	}
	return out
}

// decodePart unmarshals a small part (at most maxOtherPart, see
// checkUnzip) into v.
func decodePart(zr *zip.Reader, name string, v any) bool {
	f := zipFile(zr, name)
	if f == nil {
		return false
	}
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, maxOtherPart)).Decode(v) == nil
}

// zipFile finds a part by name, ignoring case and backslashes as excelize
// does.
func zipFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(f.Name, "\\", "/"), name) {
			return f
		}
	}
	return nil
}
