package fakeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type answer struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	MediaID     string `json:"media_id"`
}

// call serves one request in process and decodes the JSON answer.
func call(t *testing.T, s http.Handler, method, target, contentType string, body []byte) answer {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("%s %s: answer %q is not JSON: %v", method, target, w.Body, err)
	}
	return a
}

func token(t *testing.T, s *Server) string {
	t.Helper()
	a := call(t, s, "GET", "/cgi-bin/gettoken?corpid=ww1&corpsecret=s", "", nil)
	if a.ErrCode != 0 || a.AccessToken == "" || a.ExpiresIn != 7200 {
		t.Fatalf("gettoken = %+v", a)
	}
	return a.AccessToken
}

func text(to, content string) []byte {
	b, _ := json.Marshal(map[string]any{"touser": to, "agentid": 1000002, "msgtype": "text", "text": map[string]string{"content": content}})
	return b
}

func TestAccessTokenChecked(t *testing.T) {
	s := New()
	tok := token(t, s)
	tests := []struct {
		name, query string
		want        int
	}{
		{"issued", "?access_token=" + tok, 0},
		{"missing", "", CodeMissingToken},
		{"not issued", "?access_token=forged", CodeInvalidToken},
	}
	for _, tt := range tests {
		if a := call(t, s, "POST", "/cgi-bin/message/send"+tt.query, "", text("a", "x")); a.ErrCode != tt.want {
			t.Errorf("%s: errcode %d, want %d", tt.name, a.ErrCode, tt.want)
		}
	}
	s.ExpireTokens()
	if a := call(t, s, "POST", "/cgi-bin/message/send?access_token="+tok, "", text("a", "x")); a.ErrCode != CodeTokenExpired {
		t.Errorf("expired: errcode %d, want %d", a.ErrCode, CodeTokenExpired)
	}
	if n := len(s.Sent()); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

func TestCredentials(t *testing.T) {
	s := New()
	s.SetCredentials("ww1", "right")
	for q, want := range map[string]int{
		"corpid=ww1&corpsecret=right": 0,
		"corpid=ww1&corpsecret=wrong": CodeInvalidCredential,
		"corpid=ww2&corpsecret=right": CodeInvalidCorpID,
		"corpsecret=right":            CodeInvalidCorpID,
	} {
		if a := call(t, s, "GET", "/cgi-bin/gettoken?"+q, "", nil); a.ErrCode != want {
			t.Errorf("%s: errcode %d, want %d", q, a.ErrCode, want)
		}
	}
}

func TestFailNext(t *testing.T) {
	s := New()
	tok := token(t, s)
	s.FailNext("/cgi-bin/message/send", 60020, 2)
	var codes []int
	for range 3 {
		codes = append(codes, call(t, s, "POST", "/cgi-bin/message/send?access_token="+tok, "", text("a", "x")).ErrCode)
	}
	if fmt.Sprint(codes) != "[60020 60020 0]" {
		t.Errorf("errcodes %v, want [60020 60020 0]", codes)
	}
	if n := s.Calls("/cgi-bin/message/send"); n != 3 {
		t.Errorf("Calls = %d, want 3", n)
	}
}

func TestBodiesChecked(t *testing.T) {
	s := New()
	tok := token(t, s)
	for name, body := range map[string]string{
		"not JSON":         `{`,
		"no recipient":     `{"agentid":1,"msgtype":"text","text":{"content":"x"}}`,
		"no agentid":       `{"touser":"a","msgtype":"text","text":{"content":"x"}}`,
		"empty text":       `{"touser":"a","agentid":1,"msgtype":"text","text":{"content":""}}`,
		"type mismatch":    `{"touser":"a","agentid":1,"msgtype":"markdown","text":{"content":"x"}}`,
		"unknown media":    `{"touser":"a","agentid":1,"msgtype":"file","file":{"media_id":"nope"}}`,
		"textcard, no url": `{"touser":"a","agentid":1,"msgtype":"textcard","textcard":{"title":"t","description":"d"}}`,
	} {
		if a := call(t, s, "POST", "/cgi-bin/message/send?access_token="+tok, "", []byte(body)); a.ErrCode == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
	if a := call(t, s, "POST", "/cgi-bin/appchat/send?access_token="+tok, "", text("a", "x")); a.ErrCode == 0 {
		t.Error("appchat without chatid accepted")
	}
	if a := call(t, s, "POST", "/cgi-bin/webhook/send", "", text("", "x")); a.ErrCode != CodeInvalidRobotKey {
		t.Errorf("webhook without key: errcode %d", a.ErrCode)
	}
	if n := len(s.Sent()); n != 0 {
		t.Errorf("%d records after bad requests", n)
	}
}

func TestSentForUser(t *testing.T) {
	s := New()
	tok := token(t, s)
	for _, m := range []struct{ to, text string }{{"a", "1"}, {"b", "2"}, {"a|b", "3"}, {"@all", "4"}, {"a", "5"}} {
		call(t, s, "POST", "/cgi-bin/message/send?access_token="+tok, "", text(m.to, m.text))
	}
	call(t, s, "POST", "/cgi-bin/webhook/send?key=k", "", text("", "robot"))
	tests := []struct {
		query, want string
	}{
		{"?user=a", "1 3 4 5"},
		{"?user=a&since=3", "4 5"},
		{"?user=b", "2 3 4"},
		{"?user=c", "4"},
		{"?user=a&since=99", ""},
		{"", "1 2 3 4 5 robot"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/_fake/sent"+tt.query, nil))
		var recs []Record
		if err := json.Unmarshal(w.Body.Bytes(), &recs); err != nil || recs == nil {
			t.Fatalf("%s: %q is not a JSON list: %v", tt.query, w.Body, err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.Text)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: got %q, want %q", tt.query, got, tt.want)
		}
	}
}

func TestRecordsBounded(t *testing.T) {
	s := New()
	s.limit = 5
	tok := token(t, s)
	for i := 1; i <= 12; i++ {
		call(t, s, "POST", "/cgi-bin/message/send?access_token="+tok, "", text("a", fmt.Sprint(i)))
	}
	var got []string
	for _, r := range s.Sent() {
		got = append(got, fmt.Sprintf("%d:%s", r.Seq, r.Text))
	}
	if want := "8:8 9:9 10:10 11:11 12:12"; strings.Join(got, " ") != want {
		t.Errorf("kept %v, want %s", got, want)
	}
	if got := s.SentTo("a", 10); len(got) != 2 || got[0].Seq != 11 {
		t.Errorf("SentTo since 10 = %+v", got)
	}
}

func TestMediaBounded(t *testing.T) {
	s := New()
	for i := range MaxMedia + 10 {
		s.PutMedia(fmt.Sprint(i), "f", []byte("hello"))
	}
	if _, _, ok := s.Media("0"); ok {
		t.Error("oldest media kept past MaxMedia")
	}
	if _, _, ok := s.Media(fmt.Sprint(MaxMedia + 9)); !ok {
		t.Error("newest media dropped")
	}
	s.mu.Lock()
	n, kept := len(s.media), s.kept
	s.mu.Unlock()
	if n != MaxMedia || kept != MaxMedia*5 {
		t.Errorf("%d media, %d bytes kept; want %d and %d", n, kept, MaxMedia, MaxMedia*5)
	}
}

func upload(t *testing.T, s *Server, target, name string, data []byte) answer {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	p, _ := w.CreateFormFile("media", name)
	_, _ = p.Write(data)
	_ = w.Close()
	return call(t, s, "POST", target, w.FormDataContentType(), b.Bytes())
}

func TestUploadSendGet(t *testing.T) {
	s := New()
	tok := token(t, s)
	data := []byte("户主,人数\n张三,3\n")
	a := upload(t, s, "/cgi-bin/media/upload?type=file&access_token="+tok, "名单.csv", data)
	if a.ErrCode != 0 || a.MediaID == "" {
		t.Fatalf("upload = %+v", a)
	}
	body, _ := json.Marshal(map[string]any{"chatid": "c1", "msgtype": "file", "file": map[string]string{"media_id": a.MediaID}})
	if r := call(t, s, "POST", "/cgi-bin/appchat/send?access_token="+tok, "", body); r.ErrCode != 0 {
		t.Fatalf("send file = %+v", r)
	}
	recs := s.Sent()
	if len(recs) != 1 || recs[0].FileName != "名单.csv" || !bytes.Equal(recs[0].File, data) || recs[0].ChatID != "c1" {
		t.Errorf("record = %+v", recs)
	}

	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/cgi-bin/media/get?media_id="+a.MediaID+"&access_token="+tok, nil))
	if !bytes.Equal(w.Body.Bytes(), data) || !strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("media/get = %q, %v", w.Body, w.Header())
	}
	if r := call(t, s, "GET", "/cgi-bin/media/get?media_id=nope&access_token="+tok, "", nil); r.ErrCode != CodeInvalidMediaID {
		t.Errorf("unknown media: errcode %d", r.ErrCode)
	}
	if r := upload(t, s, "/cgi-bin/media/upload?type=file&access_token="+tok, "a", []byte("1234")); r.ErrCode == 0 {
		t.Error("a file under 5 bytes was accepted")
	}
	if r := upload(t, s, "/cgi-bin/webhook/upload_media?type=file&key=k", "b.txt", []byte("hello")); r.ErrCode != 0 || r.MediaID == "" {
		t.Errorf("robot upload = %+v", r)
	}
}

func TestDelayHonoursCancellation(t *testing.T) {
	s := New()
	s.SetDelay(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "/cgi-bin/gettoken?corpid=a&corpsecret=b", nil).WithContext(ctx)
	done := make(chan struct{})
	go func() {
		s.ServeHTTP(httptest.NewRecorder(), req)
		close(done)
	}()
	cancel()
	<-done // a delay that ignored the client would hang here
}

func TestConcurrentSends(t *testing.T) {
	s := New()
	srv := httptest.NewServer(s)
	defer srv.Close()
	tok := token(t, s)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			resp, err := http.Post(srv.URL+"/cgi-bin/message/send?access_token="+tok, "application/json", bytes.NewReader(text("a", fmt.Sprint(i))))
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	recs := s.Sent()
	seen := map[int64]bool{}
	for _, r := range recs {
		seen[r.Seq] = true
	}
	if len(recs) != 50 || len(seen) != 50 {
		t.Errorf("%d records, %d distinct sequence numbers; want 50", len(recs), len(seen))
	}
}
