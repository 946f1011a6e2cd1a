package store

import (
	"strings"
	"testing"
)

// hashTag is the part of key Redis Cluster hashes: the text between the
// first '{' and the next '}', when not empty; else the whole key.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

// TestCommitteeKeysShareASlot guards what Apply's script relies on: every
// key it touches hashes to the committee's slot, whatever the committee or
// user is called.
func TestCommitteeKeysShareASlot(t *testing.T) {
	k := keys{prefix: "songnuan:"}
	for _, c := range []string{"甘泉一村", "a}b", "{x}", "c:1"} {
		want := hashTag(k.households(c))
		for _, key := range []string{
			k.heads(c), k.todo(c), k.counters(c), k.seq(c),
			k.opBucket(c, 123456), k.undo(c, "zhang{san}"), k.audit(c),
		} {
			if !strings.HasPrefix(key, "songnuan:") {
				t.Errorf("key %q lacks the prefix", key)
			}
			if got := hashTag(key); got != want {
				t.Errorf("committee %q: key %q hashes on %q, households on %q", c, key, got, want)
			}
		}
	}
	if hashTag(k.households("甘泉一村")) == hashTag(k.households("甘泉二村")) {
		t.Error("two committees share a hash tag")
	}
	for _, key := range []string{
		k.committees(), k.persons("h"), k.lastUndo("u"), k.message("m"), k.wechat("w"), k.userRate("u"),
		k.lease("broadcast"), k.ledger(), k.lastRun(), k.sendRate("robot:abc"),
	} {
		if !strings.HasPrefix(key, "songnuan:") || strings.ContainsAny(key, "{}") {
			t.Errorf("global key %q: want the prefix and no hash tag", key)
		}
	}
}

// TestOutboxKeysShareASlot: the outbox's once-only mark and its stream
// are written in one script, so they share a hash tag.
func TestOutboxKeysShareASlot(t *testing.T) {
	k := keys{prefix: "songnuan:"}
	if a, b := hashTag(k.outbox()), hashTag(k.outboxSeen("m:1:a")); a != "outbox" || a != b {
		t.Errorf("outbox keys hash on %q and %q, want both on outbox", a, b)
	}
}

// TestPersonsSpreadOverBuckets: the person index uses every bucket, so
// each stays small enough for Redis's compact hash encoding.
func TestPersonsSpreadOverBuckets(t *testing.T) {
	k := keys{prefix: "sn:"}
	seen := map[string]int{}
	for i := range 64 * 40 {
		seen[k.persons(strings.Repeat("0", i%7)+string(rune('a'+i%26))+strings.Repeat("f", i/26))]++
	}
	if len(seen) != personBuckets {
		t.Fatalf("%d buckets used, want %d", len(seen), personBuckets)
	}
	for key, n := range seen {
		if n > 100 {
			t.Errorf("bucket %s holds %d of %d", key, n, 64*40)
		}
	}
}
