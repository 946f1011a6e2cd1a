package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"songnuan/redact"
	"songnuan/wecom"
)

// idWith returns a valid resident ID number (GB 11643) with the given
// first 17 digits, its check digit computed.
func idWith(first17 string) string {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * weights[i]
	}
	return first17 + string("10X98765432"[sum%11])
}

// wrongCheck returns id with a check digit that does not fit.
func wrongCheck(id string) string {
	last := id[17]
	for _, c := range "0123456789X" {
		if byte(c) != last {
			return id[:17] + string(c)
		}
	}
	return id
}

// leaks finds the personal numbers of secrets in text, in the forms they
// were given or might be rewritten to.
func leaks(text string, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		masked, forms := redact.ID(s), []string{s}
		if strings.HasSuffix(s, "X") {
			forms = append(forms, strings.ToLower(s))
		}
		if len(s) == 11 {
			masked = redact.Phone(s)
			forms = append(forms, s[:3]+"-"+s[3:7]+"-"+s[7:], s[:3]+" "+s[3:7]+" "+s[7:])
		}
		for _, f := range forms {
			if strings.Contains(text, f) {
				found = append(found, fmt.Sprintf("%s (written %d characters long)", masked, len(f)))
			}
		}
	}
	return found
}

// TestNoIDOrPhoneNumberLeaks runs a whole conversation with ID and phone
// numbers through a real bot process, the chat import of a list and the
// command-line import and export, and then looks for any of those numbers
// in every line the process and the commands wrote, every reply and push,
// the exported workbook and every value stored in Redis.
func TestNoIDOrPhoneNumberLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a bot process")
	}
	cl := startCluster(t, 1, map[string]string{"LOG_LEVEL": "debug"})
	s := cl.senders[0]
	ids := make([]string, 9)
	phones := make([]string, 9)
	for i := range ids {
		ids[i] = idWith(fmt.Sprintf("3101071958%02d%02d%03d", 1+i, 10+i, 100+7*i))
		phones[i] = fmt.Sprintf("139%08d", 31415926+i*1111)
	}
	for seq := 0; !strings.HasSuffix(ids[1], "X"); seq++ {
		ids[1] = idWith(fmt.Sprintf("31010719580202%03d", seq)) // one that ends in X, typed as x below
	}
	badID := wrongCheck(idWith("31010719600101123"))
	// Numbers typed inside free text: an address and the goods of a visit.
	freeID, freePhone := idWith("31010719600707123"), "13600007777"
	secrets := append(append([]string{badID, freeID, freePhone}, ids...), phones...)

	var replies []string
	n := 0
	say := func(user, text string) string {
		t.Helper()
		n++
		code, reply, err := s.text(user, fmt.Sprint(7500000000000000000+n), text)
		if err != nil || code != http.StatusOK {
			t.Fatalf("%s %q: HTTP %d %v", user, redact.Text(text), code, err)
		}
		replies = append(replies, reply)
		return reply
	}
	first := say("w1", "登记 甲五 低保 3人 特困供养1人 身份证:"+ids[0]+" 电话:"+phones[0])
	if !strings.Contains(first, redact.ID(ids[0])) || !strings.Contains(first, redact.Phone(phones[0])) {
		t.Fatalf("registration answered %q, want the masked numbers", first)
	}
	say("w1", "走访 甲五 发放2260元")
	say("w1", "查询 甲五")
	say("w1", "查询 "+ids[0])
	say("w1", "查询 身份证:"+ids[0])
	say("w1", "撤销")
	say("w1", "登记 甲五 低保 3人 特困供养1人 身份证:"+ids[0]+" 电话:"+phones[0])
	say("w1", "登记 乙六 低保 2人 身份证:"+badID+" 电话:"+phones[1])
	say("w1", "登记 乙六 低保 2人 身份证:"+ids[1]+" 电话:"+phones[1][:10])
	say("w1", "登记 乙六 低保 2人 身份证:"+ids[1][:17]+" 电话:"+phones[1])
	say("w1", "登记 乙六 低保 2人 身份证:"+strings.ToLower(ids[1])+" 电话:"+phones[1][:3]+"-"+phones[1][3:7]+"-"+phones[1][7:])
	say("w3", "登记 丙七 低保 1人 身份证:"+ids[0]) // the same person in another committee
	say("stranger", "登记 丁八 低保 1人 身份证:"+ids[2]+" 电话:"+phones[2])
	say("w1", "登记 庚九 低保 1人 地址:甘泉路9号联系"+freePhone)
	say("w1", "走访 庚九 发放700元 物品:米油转交身份证"+freeID)
	say("w1", "查询 庚九")
	say("w1", ids[3]+" "+phones[3])
	say("w1", "身份证"+ids[3])

	// A list sent in chat: good rows, a bad ID, a number Excel rounded.
	csv := "户主,人数,类别,身份证,电话,地址,居委\n" +
		"戊一,3,低保," + ids[4] + "," + phones[4] + ",甘泉路1号,甘泉一村\n" +
		"戊二,2,低保," + ids[5] + "," + phones[5] + ",甘泉路2号（" + freePhone + "）,甘泉一村\n" +
		"戊三,1,低保," + wrongCheck(ids[6]) + "," + phones[6] + ",甘泉路3号,甘泉一村\n" +
		"戊四,1,低保,3.10107195807E+17," + phones[7] + ",甘泉路4号,甘泉一村\n"
	cl.fake.PutMedia("media-privacy-1", "名单.csv", []byte(csv))
	since := int64(0)
	if sent := cl.fake.Sent(); len(sent) > 0 {
		since = sent[len(sent)-1].Seq
	}
	code, reply, err := s.deliver(wecom.Message{FromUserName: "w1", MsgType: "file", MediaID: "media-privacy-1",
		FileName: "名单.csv", MsgID: "7599999999999999999"})
	if err != nil || code != http.StatusOK {
		t.Fatalf("file: HTTP %d %v", code, err)
	}
	if reply == "" {
		reply = waitPushTo(cl, "w1", since)
	}
	replies = append(replies, reply)
	if !strings.Contains(reply, "新增2户") {
		t.Fatalf("import answered %q, want two households added", reply)
	}

	// 导出 in chat: the table comes as a pushed file, numbers masked. A
	// worker may not have it; an admin may ask for the full numbers, which
	// is audited and is the one place they may appear.
	say("w1", "导出 完整")
	before := lastSent(cl)
	if r := say("admin", "导出"); r != "" {
		t.Fatalf("导出 answered %q passively, want the table pushed", r)
	}
	masked := waitFile(t, cl, "admin", before)
	if !strings.Contains(masked, redact.ID(ids[0])) {
		t.Fatalf("the exported table lacks 甲五's masked ID")
	}
	before = lastSent(cl)
	say("admin", "导出 完整")
	full := waitFile(t, cl, "admin", before)
	if !strings.Contains(full, ids[0]) || !strings.Contains(full, phones[0]) || !strings.Contains(full, freePhone) {
		t.Fatalf("the full export lacks 甲五's numbers: the leak check below could not see them either")
	}
	fullSeq := lastSent(cl)

	// The office's command-line import and export, on the same store.
	dir := t.TempDir()
	list := filepath.Join(dir, "全街道.csv")
	if err := os.WriteFile(list, []byte("户主,人数,类别,身份证,电话,居委\n己一,2,低保,"+ids[8]+","+phones[8]+",甘泉二村\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cliOut := runCLI(t, cl, "import", list, "--as", "admin")
	book := filepath.Join(dir, "统计表.xlsx")
	cliOut += runCLI(t, cl, "export", "--out", book)
	data, err := os.ReadFile(book)
	if err != nil {
		t.Fatal(err)
	}
	exported := xlsxText(t, data)
	if !strings.Contains(exported, "己一") || !strings.Contains(exported, redact.ID(ids[8])) {
		t.Fatalf("the export lacks the imported household or its masked ID")
	}

	// Stop the bot before reading what it wrote. Its log goes through
	// app.LogWriter, which flushes every 200 ms, and reaches the test
	// through a pipe: while the bot runs, how much of it stdout holds
	// depends on when the flusher and the pipe's copier last ran, so
	// lines could be missing from the leak check below, all of them on
	// a fast run. Once the bot has exited (SIGTERM: serve's LogWriter.Close
	// flushes, and Wait returns when the pipe is drained) the log is whole,
	// and so are the pushes it sent while draining its queue.
	cl.procs[0].stop(t)
	var pushed []string
	for _, r := range cl.fake.Sent() {
		if r.Seq > before && r.Seq <= fullSeq && r.FileName != "" {
			continue // the full export, on purpose
		}
		pushed = append(pushed, r.Title, r.Text, r.FileName, string(r.File))
		if strings.HasSuffix(r.FileName, ".xlsx") {
			pushed = append(pushed, xlsxText(t, r.File))
		}
	}
	// The process writes its log in batches (app.LogWriter): wait for the
	// batch with the last messages.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if strings.Count(cl.procs[0].stdout.String(), `"msg":"message"`) >= n {
			break
		}
	}
	sources := map[string]string{
		"the JSON log":           cl.procs[0].stdout.String(),
		"the process's stderr":   cl.procs[0].stderr.String(),
		"a reply":                strings.Join(replies, "\n"),
		"a push":                 strings.Join(pushed, "\n"),
		"the command line tools": cliOut,
		"the exported workbook":  exported,
		"redis":                  redisText(t, cl.store.Client(), cl.env["SONGNUAN_KEY_PREFIX"]),
	}
	if !strings.Contains(sources["the JSON log"], `"msg":"message"`) {
		t.Fatalf("the log has no message lines; is it captured?\n%s", tail(sources["the JSON log"], 40))
	}
	for where, text := range sources {
		if found := leaks(text, secrets); len(found) > 0 {
			t.Errorf("%s holds personal numbers: %v", where, found)
		}
	}
}

// lastSent is the sequence number of the newest push.
func lastSent(cl *cluster) int64 {
	sent := cl.fake.Sent()
	if len(sent) == 0 {
		return 0
	}
	return sent[len(sent)-1].Seq
}

// waitFile waits for a workbook pushed to user after since and returns
// its XML.
func waitFile(t *testing.T, cl *cluster, user string, since int64) string {
	t.Helper()
	for range 1000 {
		for _, r := range cl.fake.SentTo(user, since) {
			if strings.HasSuffix(r.FileName, ".xlsx") && r.File != nil {
				return xlsxText(t, r.File)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no workbook pushed to %s", user)
	return ""
}

// waitPushTo waits for a push to user after since and returns its text.
func waitPushTo(cl *cluster, user string, since int64) string {
	for range 500 {
		if recs := cl.fake.SentTo(user, since); len(recs) > 0 {
			return recs[0].Text
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ""
}

// runCLI runs a songnuan subcommand with the cluster's configuration and
// returns everything it wrote.
func runCLI(t *testing.T, cl *cluster, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range cl.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("songnuan %s: %v\n%s", args[0], err, redact.Text(string(out)))
	}
	return string(out)
}

// xlsxText returns the XML of every part of a workbook.
func xlsxText(t *testing.T, data []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(&b, r)
		r.Close()
	}
	return b.String()
}

// redisText returns every key under prefix and every value stored in it.
func redisText(t *testing.T, c redis.UniversalClient, prefix string) string {
	t.Helper()
	ctx := context.Background()
	var b bytes.Buffer
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatalf("no keys under %s", prefix)
	}
	for _, k := range keys {
		b.WriteString(k + "\n")
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		switch typ {
		case "string":
			v, err = c.Get(ctx, k).Result()
		case "hash":
			v, err = c.HGetAll(ctx, k).Result()
		case "list":
			v, err = c.LRange(ctx, k, 0, -1).Result()
		case "set":
			v, err = c.SMembers(ctx, k).Result()
		case "zset":
			v, err = c.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			v, err = c.XRange(ctx, k, "-", "+").Result()
		default:
			t.Fatalf("key %s has type %s the test cannot read", k, typ)
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%v\n", v)
	}
	return b.String()
}
