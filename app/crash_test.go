package app_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"songnuan/domain"
	"songnuan/wecom"
	"songnuan/wecom/fakeapi"
)

// TestMessageOfAKilledInstanceIsHandledByARedelivery: instance A takes a
// file message and is killed with SIGKILL while it downloads the file.
// WeCom re-delivers to instance B at +1, +5 and +9 s, as it does. A dead
// owner's claim must lapse within WeCom's retry window, so that one of
// these re-deliveries handles the message: the list is imported once and
// the worker is answered once.
func TestMessageOfAKilledInstanceIsHandledByARedelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a bot process and waits out WeCom's re-deliveries")
	}
	cl := startClusterWith(t, 2, nil, func(f *fakeapi.Server) {
		f.SetPathDelay("/cgi-bin/media/get", 8*time.Second)
	})
	csv := "户主,人数,类别,居委\n辛一,2,低保,甘泉一村\n辛二,1,低保,甘泉一村\n辛三,3,低保,甘泉一村\n"
	cl.fake.PutMedia("media-crash-1", "名单.csv", []byte(csv))
	msg := wecom.Message{FromUserName: "w1", MsgType: "file", MediaID: "media-crash-1", FileName: "名单.csv",
		MsgID: "7720000000000000001", CreateTime: time.Now().Unix()}

	start := time.Now()
	var wg sync.WaitGroup
	answers := make([]answer, 4)
	deliver := func(i int, s *sender, at time.Duration) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(start.Add(at)))
			a := &answers[i]
			a.code, a.reply, a.err = s.deliver(msg)
		}()
	}
	deliver(0, cl.senders[0], 0)
	for end := time.Now().Add(5 * time.Second); cl.fake.Calls("/cgi-bin/media/get") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("instance A never asked for the file")
		}
	}
	time.Sleep(time.Until(start.Add(time.Second)))
	cl.procs[0].kill()
	for i, at := range []time.Duration{time.Second, 5 * time.Second, 9 * time.Second} {
		deliver(i+1, cl.senders[1], at)
	}
	wg.Wait()
	for i, a := range answers[1:] {
		t.Logf("re-delivery %d: HTTP %d %q %v", i+1, a.code, a.reply, a.err)
	}

	// The answer is passive or pushed; wait for it.
	var got []string
	for _, a := range answers[1:] {
		if a.code == http.StatusOK && a.reply != "" {
			got = append(got, a.reply)
		}
	}
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if len(got) > 0 || len(cl.fake.SentTo("w1", 0)) > 0 {
			break
		}
	}
	time.Sleep(time.Second) // a second answer, if any, would come now
	for _, r := range cl.fake.SentTo("w1", 0) {
		got = append(got, r.Text)
	}
	if len(got) != 1 || !strings.Contains(got[0], "新增3户") {
		t.Errorf("the worker was answered %d times: %q; want once, with the import report", len(got), got)
	}
	ctr, err := cl.store.Counters(context.Background(), "甘泉一村")
	if err != nil {
		t.Fatal(err)
	}
	if ctr[domain.CtrHouseholds] != 3 {
		t.Errorf("%d households stored, want the list's 3, once", ctr[domain.CtrHouseholds])
	}
}

// TestReplyQueuedWhenItsInstanceIsKilledIsSent: a file import's reply is
// late (the download takes longer than WeCom waits), so it is pushed.
// Instance A stores the import and starts pushing, but WeCom's
// message/send hangs, and A is killed with SIGKILL before the push goes
// through. The reply must not die with A: instance B sends it, once.
func TestReplyQueuedWhenItsInstanceIsKilledIsSent(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a bot process and waits for another to take over its pushes")
	}
	const sendPath = "/cgi-bin/message/send"
	cl := startClusterWith(t, 2, nil, func(f *fakeapi.Server) {
		f.SetPathDelay("/cgi-bin/media/get", 5*time.Second)
		f.SetPathDelay(sendPath, time.Minute)
	})
	csv := "户主,人数,类别,居委\n壬一,2,低保,甘泉一村\n壬二,1,低保,甘泉一村\n壬三,3,低保,甘泉一村\n"
	cl.fake.PutMedia("media-crash-2", "名单.csv", []byte(csv))
	start := time.Now()
	code, reply, err := cl.senders[0].deliver(wecom.Message{FromUserName: "w1", MsgType: "file", MediaID: "media-crash-2",
		FileName: "名单.csv", MsgID: "7720000000000000002"})
	if err != nil || code != http.StatusOK || reply != "" {
		t.Fatalf("file with a slow download: HTTP %d %q %v; want an empty 200, the reply to be pushed", code, reply, err)
	}
	ctx := context.Background()
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ctr, err := cl.store.Counters(ctx, "甘泉一村")
		if err == nil && ctr[domain.CtrHouseholds] == 3 && cl.fake.Calls(sendPath) > 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the import was not stored and pushed within 20 s: %v %v, %d sends", ctr, err, cl.fake.Calls(sendPath))
		}
	}
	t.Logf("stored and sending after %v", time.Since(start))
	// The change is stored and its reply on its way out: kill A.
	cl.procs[0].kill()
	cl.fake.SetPathDelay(sendPath, 0)

	var got []string
	for end := time.Now().Add(45 * time.Second); time.Now().Before(end) && len(got) == 0; time.Sleep(100 * time.Millisecond) {
		for _, r := range cl.fake.SentTo("w1", 0) {
			got = append(got, r.Text)
		}
	}
	t.Logf("pushed after %v", time.Since(start))
	time.Sleep(2 * time.Second) // a second copy, if any, would come now
	got = got[:0]
	for _, r := range cl.fake.SentTo("w1", 0) {
		got = append(got, r.Text)
	}
	if len(got) != 1 || !strings.Contains(got[0], "新增3户") {
		t.Errorf("the worker got %d pushes: %q; want the import report once", len(got), got)
	}
}
