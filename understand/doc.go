// Package understand reads chat messages the way committee workers and
// leaders write them, typed or dictated on a phone, and says which
// command they mean.
//
// Read is a pure function of the text, the sender (role, committee), the
// committee's households (head, 编号, what is due), the street's committees,
// the policy's category words and today's date. It returns a Reading: the
// intent (登记, 走访, 进度 …) with its fields, whether the message was
// written in a canonical form (Exact: it acts as typed), inferred
// (Inferred: a change acts only once the sender confirms), or cannot be
// acted on (Ask: the closest command, filled in with what was understood,
// chosen for the sender's role). Reading.Command is always text the bot's
// router understands, so carrying out an inferred message means running
// that text: the reply is the canonical command's reply, word for word.
//
// # How a message is read
//
// The text is NFKC-normalised (full-width digits and punctuation become
// ASCII), zero-width and bidi control characters are dropped, emoji and
// punctuation become spaces. Then spans are claimed in a fixed order, each
// step seeing only what earlier ones left: ID and phone numbers and
// addresses (with their key or by their shape), dates, members of a
// category (其中2人特困), the committee's heads written whole, a head's
// surname with an honorific (钱阿姨 — before 钱 is read as money), the
// lexicon's words (longest first: verbs, question words, categories,
// committees and their short names), numbers with their units, goods,
// and last the names left over. The intent follows from what was found,
// in an order that puts questions before statements and refuses changes
// that were not plainly stated (还没去, 明天去, 一部分).
//
// A name is resolved against the heads: exactly; less 家 or an
// honorific; a surname with an honorific when one head has that surname;
// one character off (a homophone slip: 周建花 for 周建华). A visit to a
// name one character off a head proposes that head; a registration of a
// name one character off a head of the same surname is flagged (Near), so
// the bot asks whether it is really another household.
//
// # Word segmentation: a small lexicon, not a jieba port
//
// The jieba ports were weighed against a hand-kept lexicon plus the
// policy's category words and the committee's heads, and the lexicon won:
//   - What matters here is a few hundred domain words (visit verbs,
//     question words, fillers, honorifics, categories, committees) and
//     the names of a committee's households. A general dictionary knows
//     none of the heads (周建华 is segmented 周/建华 or 周建/华 depending on
//     corpus frequencies), splits 低保户 and 特困供养 differently from the
//     policy, and turns 钱芳 into 钱/芳; every one of these would need a user
//     dictionary per committee, rebuilt on each registration.
//   - yanyiwu/gojieba is cgo over C++: the static, CGO-free image
//     (Dockerfile) could no longer be built, and each process loads about
//     20 MB of dictionaries. go-ego/gse is pure Go but loads a dictionary of
//     several hundred thousand words at start (about a second and 100 MB+)
//     and is not in the module cache the build may use; its segmentation
//     would still need the domain words added.
//   - Longest match over the lexicon is a few map look-ups per character:
//     the whole reading costs well under 50 µs a message (BenchmarkRead).
//
// The vocabulary lives in lexicon.go, as data; the code refers to it
// only through its tables. testdata/corpus.txt holds the messages the
// interpreter is measured on (TestCorpus) with the world they are read
// against (testdata/world.txt).
package understand
