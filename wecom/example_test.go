package wecom_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"songnuan/domain"
	"songnuan/wecom"
	"songnuan/wecom/fakeapi"
)

// Tencent's sample app: answering WeCom's URL check.
func ExampleCrypto_VerifyURL() {
	c, err := wecom.NewCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
	if err != nil {
		panic(err)
	}
	echo, err := c.VerifyURL("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780",
		"P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==")
	fmt.Println(string(echo), err)
	// Output: 1616140317555161061 <nil>
}

// A message sealed the way WeCom sends it, opened the way the callback
// handler does, and answered with an encrypted passive reply.
func ExampleCrypto_Open() {
	c, err := wecom.NewCrypto("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "ww1234567890abcdef")
	if err != nil {
		panic(err)
	}
	q, body, err := c.SealRequest(wecom.TextMessageXML(wecom.Message{
		ToUserName: "ww1234567890abcdef", FromUserName: "zhangsan", CreateTime: 1735689600,
		Content: "进度", MsgID: "7450000000000000001", AgentID: "1000002",
	}), "1000002")
	if err != nil {
		panic(err)
	}

	m, err := c.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
	fmt.Println(m.FromUserName, m.MsgType, m.Content, m.MsgID, err)

	reply, err := c.SealReply(wecom.TextReplyXML(m.FromUserName, m.ToUserName, m.CreateTime, "甘泉一村：已走访 12/40 户"),
		q.Get("timestamp"), q.Get("nonce"))
	if err != nil {
		panic(err)
	}
	r, err := c.OpenReply(reply)
	fmt.Println(r.ToUserName, r.Content, err)
	// Output:
	// zhangsan text 进度 7450000000000000001 <nil>
	// zhangsan 甘泉一村：已走访 12/40 户 <nil>
}

// Sending through the client to the fake API, as the demo mode does.
func ExampleClient_Send() {
	fake := fakeapi.New()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := wecom.NewClient(wecom.ClientConfig{CorpID: "ww1", Secret: "s", AgentID: "1000002", APIBase: srv.URL})
	if err != nil {
		panic(err)
	}
	err = c.Send(context.Background(), domain.Message{ToUsers: []string{"zhangsan"}, Kind: domain.KindMarkdown, Text: "**元旦走访** 明天开始"})
	fmt.Println(err)
	for _, r := range fake.SentTo("zhangsan", 0) {
		fmt.Println(r.Seq, r.Kind, r.Text)
	}
	// Output:
	// <nil>
	// 1 markdown **元旦走访** 明天开始
}

func ExampleCutUTF8() {
	fmt.Println(wecom.CutUTF8("送温暖", 8))
	// Output: 送温
}
