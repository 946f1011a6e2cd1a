// Package sheet reads the household lists that committees keep in Excel
// (.xlsx, or .csv as Chinese Excel saves it) and writes the statistics table
// (统计表) that the street office hands up at the end of the campaign.
//
// Reading is forgiving about layout (title rows above the header, header
// aliases, GBK text, blank rows) but never about data: a value Excel has
// already damaged, such as an ID number stored as a number, is passed on in
// a form that validation rejects, so the worker is told to fix it instead of
// the bot storing wrong digits.
//
// The package depends on bot for its types and on excelize; it knows nothing
// of chat, Redis or WeCom.
package sheet
