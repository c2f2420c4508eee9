import { describe, expect, test } from "bun:test";
import { EXPECTED_HEADER } from "../../connector/sources/dv360/index.ts";
import { parseCsv } from "./csv.ts";
import { splitPage } from "./index.ts";
import { arrayElementTexts } from "./json.ts";

const header = EXPECTED_HEADER.join(",");
const dvRow = (date: string, li: string) => `${date},101,USD,7,8,${li},10,1,1.00,1.50,0`;
const records = (result: ReturnType<typeof splitPage>) => {
	if (!result.ok) throw new Error(result.reason);
	return result.records.map((r) => JSON.parse(r) as Record<string, unknown>);
};

describe("splitting raw pages into records", () => {
	test("DV360 CSV: rows keyed by header; the totals row and the footer are not records", () => {
		const csv = `${header}\r\n${dvRow("2026/06/01", "3")}\r\n"${"2026/06/02"}",101,USD,7,8,"4, ""quoted""",1,0,0.10,0.20,0\r\n,,,,,,11,1,1.10,1.70,0\r\n\r\nReport Time:,2026/06/08 03:00\r\nDate Range:,2026/06/01 to 2026/06/02\r\n`;
		const rows = records(splitPage("dv360", "delivery", csv));
		expect(rows).toHaveLength(2);
		expect(rows[0]).toMatchObject({ Date: "2026/06/01", "Line Item ID": "3", "Revenue (Advertiser Currency)": "1.50" });
		expect(rows[1]?.["Line Item ID"]).toBe('4, "quoted"');
	});

	test("DV360: a middle chunk (no footer), the empty-report line, and a wrong header", () => {
		expect(records(splitPage("dv360", "delivery", `${header}\n${dvRow("2026/06/01", "3")}\n`))).toHaveLength(1);
		expect(records(splitPage("dv360", "delivery", "No data returned by the reporting service.\n"))).toEqual([]);
		const wrong = splitPage("dv360", "delivery", "Date,Impressions\n2026/06/01,3\n");
		expect(wrong).toMatchObject({ ok: false, reason: expect.stringContaining("unexpected DV360 report header") });
	});

	test("TTD CSV: blank lines skipped, header checked", () => {
		const head =
			"Date,Advertiser ID,Advertiser Name,Campaign ID,Campaign Name,Ad Group ID,Ad Group Name,Advertiser Currency Code,Impressions,Clicks,Advertiser Cost (Adv Currency),All Last Click + View Conversions";
		const csv = `${head}\r\n2026-06-01T00:00:00,a1,"Acme, Inc",c1,C,g1,G,USD,5,0,1.00,0\r\n\r\n`;
		expect(records(splitPage("ttd", "delivery", csv))).toEqual([
			expect.objectContaining({ Date: "2026-06-01T00:00:00", "Advertiser Name": "Acme, Inc", "Ad Group ID": "g1" }),
		]);
		expect(records(splitPage("ttd", "delivery", ""))).toEqual([]);
		expect(splitPage("ttd", "delivery", "<html>oops</html>").ok).toBe(false);
	});

	test("CSV parsing: quoted cells spanning lines, lone CRs, a BOM, mid-cell quotes, no final newline", () => {
		const csv = '\ufeffa,"b\r\nc",d\r\n\r\n"x""y"z,q"r,s"\r\ne\rf,,\n,\nlast\r';
		expect(parseCsv(csv)).toEqual([["a", "b\r\nc", "d"], [], ['x"yz', "qr,s"], ["e\rf", "", ""], ["", ""], ["last\r"]]);
		expect(parseCsv('a,"unterminated\nb')).toEqual([["a", "unterminated\nb"]]);
	});

	test("CSV records: duplicate and numeric header names, extra cells and short rows behave like a JS object", () => {
		const head =
			"Date,Advertiser ID,Advertiser Name,Campaign ID,Campaign Name,Ad Group ID,Ad Group Name,Advertiser Currency Code,Impressions,Clicks,Advertiser Cost (Adv Currency),All Last Click + View Conversions";
		const csv = `${head},Clicks,1,__proto__\nd,a,"N\n""M""",c,C,g,G,USD,5,0,1.00,0,9,x,y,extra\nshort,row\n`;
		const result = splitPage("ttd", "delivery", csv);
		if (!result.ok) throw new Error(result.reason);
		expect(result.records).toEqual([
			'{"1":"x","Date":"d","Advertiser ID":"a","Advertiser Name":"N\\n\\"M\\"","Campaign ID":"c","Campaign Name":"C","Ad Group ID":"g","Ad Group Name":"G","Advertiser Currency Code":"USD","Impressions":"5","Clicks":"9","Advertiser Cost (Adv Currency)":"1.00","All Last Click + View Conversions":"0","_extra_cells":["extra"]}',
			'{"Date":"short","Advertiser ID":"row"}',
		]);
	});

	test("JSON element texts: escaped quotes after backslash runs, whitespace, scalars", () => {
		const body = '{ "skip" : {"s":"\\\\"} , "data" : [ "a\\\\" , "\\\\\\"]" ,\n{"k":"\\"}"} , 12.5e3 , null ]\n}';
		expect(arrayElementTexts(body, "data")).toEqual(['"a\\\\"', '"\\\\\\"]"', '{"k":"\\"}"}', "12.5e3", "null"]);
	});

	test("JSON lists keep each element's text as received (no rounding of big integers)", () => {
		const body =
			'{"lineItems": [ {"lineItemId":"1","budget":{"micros":123456789012345678901}} ,{"lineItemId":"2","x":1.50}],"nextPageToken":""}';
		expect(splitPage("dv360", "line_items", body)).toEqual({
			ok: true,
			records: ['{"lineItemId":"1","budget":{"micros":123456789012345678901}}', '{"lineItemId":"2","x":1.50}'],
		});
		expect(splitPage("dv360", "campaigns", "{}")).toEqual({ ok: true, records: [] });
		expect(splitPage("dv360", "advertisers", '{"advertiserId":"9","name":"A"}')).toEqual({
			ok: true,
			records: ['{"advertiserId":"9","name":"A"}'],
		});
		expect(arrayElementTexts('{"a":"]\\"[","data":["x\\"]",{"b":[1,{}]}]}', "data")).toEqual([
			'"x\\"]"',
			'{"b":[1,{}]}',
		]);
		expect(splitPage("meta", "delivery", '{"data": "nope"}')).toMatchObject({
			ok: false,
			reason: 'page has no "data" array',
		});
		expect(splitPage("meta", "delivery", "not json")).toMatchObject({
			ok: false,
			reason: expect.stringContaining("not JSON"),
		});
		expect(splitPage("ttd", "ad_groups", '{"Result":[{"AdGroupId":"g"}],"TotalFilteredCount":1}').ok).toBe(true);
		expect(splitPage("meta", "ad_creatives", "{}")).toMatchObject({
			ok: false,
			reason: "unknown source/stream meta/ad_creatives",
		});
	});

	test("Sheets: rows keyed by the mapped header, spacer rows dropped, the spreadsheet id kept for the account", () => {
		const body = JSON.stringify({
			spreadsheetId: "sheet-1",
			valueRanges: [
				{
					range: "Clients!A1:D4",
					values: [
						["Client ID", "Name", "Currency", "Owner"],
						["c1", "Northwind", "USD"],
						[],
						["c2", "Contoso", "EUR", "Ann"],
					],
				},
			],
		});
		const result = splitPage("sheets", "clients", body);
		expect(result).toMatchObject({ ok: true, account: "sheet-1" });
		expect(records(result)).toEqual([
			{ client_id: "c1", client_name: "Northwind", currency: "USD", account_manager: null },
			{ client_id: "c2", client_name: "Contoso", currency: "EUR", account_manager: "Ann" },
		]);
		const missing = JSON.stringify({ valueRanges: [{ range: "Clients!A1:B1", values: [["Name"]] }] });
		expect(splitPage("sheets", "clients", missing)).toMatchObject({
			ok: false,
			reason: expect.stringContaining("client_id"),
		});
	});
});
