package store

import (
	"bytes"
	"compress/flate"
	_ "embed" // the preset dictionary
	"fmt"
	"io"
	"strings"
	"sync"
)

// Long values — household JSON, undo records, change results, audit
// details, stored replies — are kept deflated against a preset dictionary
// of the campaign's own words: JSON field names, the policy's item names,
// funds and departments, and the shapes of replies and audit lines. A
// household's JSON shrinks from about 850 bytes to under 300, and a
// 200-byte reply to about 60, where plain deflate saves little on values
// this short. Nothing is lost: unpack gives back the exact text.
//
// A packed value starts with packedV1. Text the program stores never
// starts with a NUL byte, so a value without the mark is plain text (short
// ones, and values written before packing existed) and is returned as is.
// The dictionary is part of the stored format: it must never change.
// A better one would be a new file and a new mark, with v1 kept for
// reading.

//go:embed codec_dict_v1.txt
var dictV1 []byte

// packedV1 starts a value deflated against dictV1.
const packedV1 = "\x00\x01"

// minPack is the shortest text worth packing: below it the mark and the
// deflate framing cost about what they save.
const minPack = 24

var (
	packers = sync.Pool{New: func() any {
		w, err := flate.NewWriterDict(nil, flate.DefaultCompression, dictV1)
		if err != nil {
			panic(fmt.Sprintf("store: flate writer: %v", err)) // only for an invalid level
		}
		return w
	}}
	unpackers sync.Pool // of io.ReadCloser that are flate.Resetter
)

// pack returns text deflated against the dictionary, or text itself when
// that is not shorter.
func pack(text string) string {
	if len(text) < minPack && !strings.HasPrefix(text, "\x00") {
		return text
	}
	var buf bytes.Buffer
	buf.Grow(len(text)/2 + len(packedV1) + 16)
	buf.WriteString(packedV1)
	w := packers.Get().(*flate.Writer)
	w.Reset(&buf)
	// Writing to a bytes.Buffer cannot fail.
	_, _ = io.WriteString(w, text)
	_ = w.Close()
	packers.Put(w)
	if buf.Len() >= len(text) && !strings.HasPrefix(text, "\x00") {
		return text
	}
	return buf.String()
}

// unpack returns the text pack was given.
func unpack(stored string) (string, error) {
	if !strings.HasPrefix(stored, packedV1) {
		return stored, nil
	}
	src := strings.NewReader(stored[len(packedV1):])
	r, _ := unpackers.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReaderDict(src, dictV1)
	} else if err := r.(flate.Resetter).Reset(src, dictV1); err != nil {
		return "", fmt.Errorf("unpack stored value: %w", err)
	}
	var out bytes.Buffer
	out.Grow(4 * len(stored))
	_, err := out.ReadFrom(r)
	unpackers.Put(r)
	if err != nil {
		return "", fmt.Errorf("unpack stored value: %w", err)
	}
	return out.String(), nil
}
