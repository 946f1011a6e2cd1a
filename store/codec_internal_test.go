package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"songnuan/domain"
)

// sampleHousehold is a registered and visited household as the bot
// stores it (sealed numbers are random, so incompressible, as here).
const sampleHousehold = `{"c":"甘泉3村","code":"48","head":"邹宏军","size":2,"cats":[{"cat":"低保"},{"cat":"特困供养","n":1}],"idh":"9be1e2c7fd2ad4e1b0a0c4fa3ad31e5b","ids":"VnSds65A2FbbdZGhGtWSSMcXFy9TxNwuXqOsG0uSwMZ3n8lCKmnOXFM4m8N2Pw","idm":"310105********3312","phs":"VFz35uABdquSos/SoysedMlI/CUvgFjDG+/PfXEtmDfSE2ozyd8t","phm":"139****0817","addr":"子长路422弄35号517室","ent":{"p":"长宁区2023","pv":"2022-12-19","items":[{"item":"2","name":"特困人员节日补助","cat":"特困供养","n":1,"amt":1000,"fund":"市、区财政","dept":"民政局"},{"item":"4","name":"低保家庭节日补助","cat":"低保","n":1,"amt":700,"fund":"市、区财政","dept":"民政局"},{"item":"6","name":"冬令御寒补助","cat":"特困供养","n":1,"amt":460,"fund":"市、区财政","dept":"民政局"}],"total":2160},"visits":[{"at":"2024-01-25T10:21:00+08:00","date":"2024-01-25","by":"worker02","byn":"社工娜","visitor":"居委","paid":1800,"goods":"米油各一","msg":"7400000000000001121"}],"v":2,"ct":"2024-01-10T12:47:00+08:00","cb":"worker02","ut":"2024-01-25T10:21:00+08:00","ub":"worker02"}`

func TestPackRoundTrip(t *testing.T) {
	for _, text := range []string{
		"",
		"已更新",
		"\x00",
		"\x00\x01not packed but starts like it",
		sampleHousehold,
		"已登记：张三（编号1，甘泉一村，3人）\n身份证 310107********1234，电话 138****5678\n· 低保家庭节日补助 3人 900元（市、区财政）\n合计 900元",
		strings.Repeat("随机\xff\xfe", 300),
	} {
		packed := pack(text)
		got, err := unpack(packed)
		if err != nil || got != text {
			t.Errorf("unpack(pack(%.20q)) = %.20q, %v", text, got, err)
		}
		if len(packed) > len(text) && !strings.HasPrefix(text, "\x00") {
			t.Errorf("pack(%.20q) grew it from %d to %d bytes", text, len(text), len(packed))
		}
	}
	if p := pack(sampleHousehold); len(p) > 320 {
		t.Errorf("a household packs to %d bytes, want about 280", len(p))
	}
}

// TestPackedFormatIsFrozen: values packed with the dictionary are in
// Redis; a changed dictionary would make them unreadable.
func TestPackedFormatIsFrozen(t *testing.T) {
	sum := sha256.Sum256(dictV1)
	const want = "9eaa81152cf0c8ae2b95fc88ee3d0ad08438cc277ed067ecd40dd685dfd37534"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("codec_dict_v1.txt changed (sha256 %s): stored values need it as it was; add a v2 instead", got)
	}
}

func TestUnpackPlainAndCorrupt(t *testing.T) {
	if got, err := unpack(`{"c":"甘泉一村"}`); err != nil || got != `{"c":"甘泉一村"}` {
		t.Errorf("plain JSON = %q, %v", got, err)
	}
	if _, err := unpack(packedV1 + "\xff\xff\xff"); err == nil {
		t.Error("corrupt packed value decoded without error")
	}
}

func BenchmarkPack(b *testing.B) {
	for b.Loop() {
		pack(sampleHousehold)
	}
}

func BenchmarkUnpack(b *testing.B) {
	p := pack(sampleHousehold)
	for b.Loop() {
		if _, err := unpack(p); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPackHouseholdRoundTrip(t *testing.T) {
	var full domain.Household
	if err := json.Unmarshal([]byte(sampleHousehold), &full); err != nil {
		t.Fatal(err)
	}
	odd := full
	odd.IDHash = "NOT-HEX"              // not canonical hex: stays in the JSON
	odd.IDSealed = full.IDSealed + "==" // padded base64: not the raw encoding
	odd.PhoneSealed = "a"               // not decodable
	empty := full
	empty.IDHash, empty.IDSealed, empty.PhoneSealed = "", "", ""
	for name, h := range map[string]domain.Household{"full": full, "odd": odd, "empty": empty, "zero": {}} {
		frame, err := packHousehold(h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := unpackHousehold(frame)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(h)
		if string(g) != string(w) {
			t.Errorf("%s: round trip\n got %s\nwant %s", name, g, w)
		}
	}
	frame, _ := packHousehold(full)
	if len(frame) > 270 {
		t.Errorf("a household packs to %d bytes, want about 250", len(frame))
	}
	// Households packed as plain values (or not at all) still read.
	for _, v := range []string{sampleHousehold, pack(sampleHousehold)} {
		if got, err := unpackHousehold(v); err != nil || got.IDSealed != full.IDSealed {
			t.Errorf("plain or packed household: %v", err)
		}
	}
	for _, bad := range []string{packedHousehold, packedHousehold + "\x05ab", packedHousehold + "\x00\x00\x00\xff"} {
		if _, err := unpackHousehold(bad); err == nil {
			t.Errorf("corrupt frame %q decoded", bad)
		}
	}
}
