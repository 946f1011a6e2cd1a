package app

import (
	"context"
	"testing"

	"songnuan/web"
)

// TestUploadsShareTheImportPlaces: an upload on a page waits for the same
// places as file messages: with none free it does not go ahead (it waits,
// here until its request ends).
func TestUploadsShareTheImportPlaces(t *testing.T) {
	slots := make(chan struct{}, 1)
	slots <- struct{}{} // a file message is being imported
	g := gatedSource{BotSource: web.BotSource{}, slots: slots}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := g.ImportFile(ctx, "wang", "名单.csv", nil); err == nil {
		t.Fatal("an upload with no free place went ahead")
	}
}
