package store

import (
	"bytes"
	"compress/flate"
	_ "embed" // the preset dictionary
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"songnuan/domain"
)

// Long values — household JSON, undo records, change results, audit
// details, stored replies — are kept deflated against a preset dictionary
// of the campaign's own words: JSON field names, the policy's item names,
// funds and departments, and the shapes of replies and audit lines. A
// 200-byte reply shrinks to about 60 and a household (see packHousehold)
// from about 850 bytes to 250, where plain deflate saves little on values
// this short. Nothing is lost: unpack gives back the exact text. The price
// is CPU on writes, some 50 µs a value (mostly deflate clearing its hash
// tables), a few values per change; reading one back takes about 6 µs.
//
// A packed value starts with packedV1. Text the program stores never
// starts with a NUL byte, so a value without the mark is plain text (too
// short to gain) and is returned as is. The dictionary is part of the
// stored format: it must never change (TestPackedFormatIsFrozen). A better
// one would be a new file and a new mark, with v1 kept for reading.

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

// pack returns text deflated against the dictionary behind packedV1, or
// text itself when that is not shorter.
func pack(text string) string {
	plain := !strings.HasPrefix(text, "\x00")
	if len(text) < minPack && plain {
		return text
	}
	packed := packedV1 + deflate(text)
	if len(packed) >= len(text) && plain {
		return text
	}
	return packed
}

// unpack returns the text pack was given.
func unpack(stored string) (string, error) {
	rest, ok := strings.CutPrefix(stored, packedV1)
	if !ok {
		return stored, nil
	}
	text, err := inflate(rest)
	if err != nil {
		return "", fmt.Errorf("unpack stored value: %w", err)
	}
	return text, nil
}

// deflate compresses text against the dictionary.
func deflate(text string) string {
	var buf bytes.Buffer
	buf.Grow(len(text)/2 + 16)
	w := packers.Get().(*flate.Writer)
	w.Reset(&buf)
	// Writing to a bytes.Buffer cannot fail.
	_, _ = io.WriteString(w, text)
	_ = w.Close()
	packers.Put(w)
	return buf.String()
}

// inflate is the inverse of deflate.
func inflate(data string) (string, error) {
	src := strings.NewReader(data)
	r, _ := unpackers.Get().(io.ReadCloser)
	if r == nil {
		r = flate.NewReaderDict(src, dictV1)
	} else if err := r.(flate.Resetter).Reset(src, dictV1); err != nil {
		return "", err
	}
	var out bytes.Buffer
	out.Grow(4 * len(data))
	_, err := out.ReadFrom(r)
	unpackers.Put(r)
	if err != nil {
		return "", err
	}
	return out.String(), nil
}

// A household is stored as "<version>|" followed by a household frame:
// packedHousehold, then its three sealed or hashed numbers (ID hash, sealed
// ID, sealed phone) as raw bytes, then the rest of its JSON deflated as
// pack does. The numbers are random, so deflate cannot shrink them, and
// in JSON they are base64 or hex text a third to a half longer than their
// bytes; out of the JSON they are stored as bytes, which takes a typical
// household from about 295 bytes to about 250. Each number has a slot:
// uvarint(0) when it stays in the JSON (empty, or not in the canonical
// encoding, so that the frame always gives back exactly what was stored),
// else uvarint(1+n) and its n bytes.
const packedHousehold = "\x00\x02"

// householdNumbers lists the fields a frame stores as bytes, with their
// text encoding.
var householdNumbers = []struct {
	get    func(*domain.Household) *string
	decode func(string) ([]byte, error)
	encode func([]byte) string
}{
	{func(h *domain.Household) *string { return &h.IDHash }, hex.DecodeString, hex.EncodeToString},
	{func(h *domain.Household) *string { return &h.IDSealed }, base64.RawStdEncoding.DecodeString, base64.RawStdEncoding.EncodeToString},
	{func(h *domain.Household) *string { return &h.PhoneSealed }, base64.RawStdEncoding.DecodeString, base64.RawStdEncoding.EncodeToString},
}

// packHousehold returns h's household frame.
func packHousehold(h domain.Household) (string, error) {
	var frame []byte
	frame = append(frame, packedHousehold...)
	for _, n := range householdNumbers {
		field := n.get(&h)
		raw, err := n.decode(*field)
		if *field == "" || err != nil || n.encode(raw) != *field {
			frame = binary.AppendUvarint(frame, 0)
			continue
		}
		frame = binary.AppendUvarint(frame, uint64(1+len(raw)))
		frame = append(frame, raw...)
		*field = ""
	}
	js, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	return string(frame) + deflate(string(js)), nil
}

// unpackHousehold reads a household frame, or a household packed or stored
// as plain JSON.
func unpackHousehold(stored string) (domain.Household, error) {
	var h domain.Household
	rest, framed := strings.CutPrefix(stored, packedHousehold)
	numbers := make([][]byte, len(householdNumbers))
	if framed {
		for i := range householdNumbers {
			n, k := binary.Uvarint([]byte(rest[:min(len(rest), binary.MaxVarintLen64)]))
			if k <= 0 || n > uint64(len(rest)-k)+1 {
				return h, fmt.Errorf("unpack household: bad number slot %d", i)
			}
			rest = rest[k:]
			if n > 0 {
				numbers[i] = []byte(rest[:n-1])
				rest = rest[n-1:]
			}
		}
		js, err := inflate(rest)
		if err != nil {
			return h, fmt.Errorf("unpack household: %w", err)
		}
		rest = js
	} else {
		js, err := unpack(stored)
		if err != nil {
			return h, err
		}
		rest = js
	}
	if err := json.Unmarshal([]byte(rest), &h); err != nil {
		return h, err
	}
	for i, n := range householdNumbers {
		if numbers[i] != nil {
			*n.get(&h) = n.encode(numbers[i])
		}
	}
	return h, nil
}
