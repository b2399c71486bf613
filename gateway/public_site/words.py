"""The public window's words in English and Chinese: one table, so a page never mixes the two.

A test checks that both languages have every word. The browser's script gets the
words it shows (verdicts, the consistency check) from the page itself, in the
page's language, so translations live here only.
"""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"


WORDS: dict[str, dict[Lang, str]] = {
    "site_title": {Lang.EN: "Carbon credit settlements: public window", Lang.ZH: "碳信用结算公示"},
    "tagline": {
        Lang.EN: "Every settlement and retirement the gateway records, anchored on a public chain. "
        "Look one up and check it yourself: no account needed, nobody's word taken.",
        Lang.ZH: "网关记录的每一笔结算与注销均锚定于公链。任何人无需账户即可查询并自行验证。",
    },
    "other_language": {Lang.EN: "中文", Lang.ZH: "English"},
    "search_label": {
        Lang.EN: "Transfer id, retirement certificate id or serial number",
        Lang.ZH: "转让编号、注销证书编号或序列号",
    },
    "search_button": {Lang.EN: "Look up", Lang.ZH: "查询"},
    "verify_file": {Lang.EN: "Verify a receipt file", Lang.ZH: "验证收据文件"},
    "home": {Lang.EN: "Public window", Lang.ZH: "公示首页"},
    "tree_head": {Lang.EN: "Latest anchored tree head", Lang.ZH: "最新锚定的树头"},
    "no_head": {Lang.EN: "No tree head is anchored yet.", Lang.ZH: "尚无已锚定的树头。"},
    "tree_size": {Lang.EN: "Tree size", Lang.ZH: "树大小"},
    "root": {Lang.EN: "Root", Lang.ZH: "根哈希"},
    "chain": {Lang.EN: "Chain", Lang.ZH: "链"},
    "contract": {Lang.EN: "Anchor contract", Lang.ZH: "锚定合约"},
    "anchor_tx": {Lang.EN: "Anchor transaction", Lang.ZH: "锚定交易"},
    "block": {Lang.EN: "Block", Lang.ZH: "区块"},
    "log_size": {Lang.EN: "Settlements in the log", Lang.ZH: "日志中的结算数"},
    "market": {Lang.EN: "Market figures", Lang.ZH: "市场数据"},
    "by_month": {
        Lang.EN: "Units settled per month, by destination registry",
        Lang.ZH: "每月结算量（按转入登记簿）",
    },
    "by_unit_type": {Lang.EN: "Units settled by unit type", Lang.ZH: "结算量（按单位类型）"},
    "by_vintage": {Lang.EN: "Units settled by vintage", Lang.ZH: "结算量（按年份）"},
    "by_registry": {Lang.EN: "Units settled by registry", Lang.ZH: "结算量（按登记簿）"},
    "no_market": {Lang.EN: "Nothing has settled yet.", Lang.ZH: "尚无结算。"},
    "units": {Lang.EN: "units", Lang.ZH: "单位"},
    "registry": {Lang.EN: "Registry", Lang.ZH: "登记簿"},
    "data_downloads": {Lang.EN: "The figures as data", Lang.ZH: "数据下载"},
    "recent_settlements": {Lang.EN: "Recent settlements", Lang.ZH: "最近结算"},
    "recent_retirements": {Lang.EN: "Recent retirements", Lang.ZH: "最近注销"},
    "reconciliations": {Lang.EN: "Regulators' reconciliation summaries", Lang.ZH: "监管对账摘要"},
    "no_rows": {Lang.EN: "None yet.", Lang.ZH: "暂无。"},
    "transfer": {Lang.EN: "Transfer", Lang.ZH: "转让"},
    "from": {Lang.EN: "From", Lang.ZH: "转出"},
    "to": {Lang.EN: "To", Lang.ZH: "转入"},
    "serial": {Lang.EN: "Serial", Lang.ZH: "序列号"},
    "quantity": {Lang.EN: "Quantity (tCO2e)", Lang.ZH: "数量（吨二氧化碳当量）"},
    "unit_type": {Lang.EN: "Unit type", Lang.ZH: "单位类型"},
    "programme": {Lang.EN: "Programme", Lang.ZH: "计划"},
    "project": {Lang.EN: "Project", Lang.ZH: "项目"},
    "vintage": {Lang.EN: "Vintage", Lang.ZH: "年份"},
    "settled_at": {Lang.EN: "Settled at", Lang.ZH: "结算时间"},
    "leaf_index": {Lang.EN: "Leaf index", Lang.ZH: "叶子序号"},
    "anchored": {Lang.EN: "Anchored", Lang.ZH: "已锚定"},
    "anchored_yes": {Lang.EN: "yes", Lang.ZH: "是"},
    "anchored_no": {Lang.EN: "not yet", Lang.ZH: "尚未"},
    "retired": {Lang.EN: "retired", Lang.ZH: "已注销"},
    "certificate": {Lang.EN: "Certificate", Lang.ZH: "证书"},
    "beneficiary": {Lang.EN: "Beneficiary", Lang.ZH: "受益方"},
    "reason": {Lang.EN: "Reason", Lang.ZH: "原因"},
    "retired_at": {Lang.EN: "Retired at", Lang.ZH: "注销时间"},
    "operator": {Lang.EN: "Account operator", Lang.ZH: "账户运营方"},
    "settlement": {Lang.EN: "Settlement", Lang.ZH: "结算"},
    "finished_at": {Lang.EN: "Finished", Lang.ZH: "完成时间"},
    "result": {Lang.EN: "Result", Lang.ZH: "结果"},
    "registries_compared": {Lang.EN: "Registries", Lang.ZH: "登记簿数"},
    "blocks_compared": {Lang.EN: "Blocks compared", Lang.ZH: "比对区块数"},
    "findings": {Lang.EN: "Findings (open)", Lang.ZH: "发现（未结）"},
    "receipt": {Lang.EN: "Receipt", Lang.ZH: "收据"},
    "download_receipt": {Lang.EN: "Download the receipt (JSON)", Lang.ZH: "下载收据（JSON）"},
    "no_receipt": {
        Lang.EN: "The settlement is in the log, but its tree head is not anchored and final yet. "
        "Its receipt follows shortly.",
        Lang.ZH: "该结算已记入日志，但其树头尚未锚定确认，收据稍后提供。",
    },
    "verification": {Lang.EN: "Verification", Lang.ZH: "验证"},
    "verify_how": {
        Lang.EN: "Your browser recomputes the leaf hash and the RFC 9162 root from the inclusion proof, "
        "then reads the anchor contract from the chain node below. Or download the receipt and run "
        "`carbon-gateway verify receipt.json --rpc URL`.",
        Lang.ZH: "浏览器将重新计算叶子哈希，并依据包含证明计算 RFC 9162 根哈希，再从下列链节点读取锚定合约。"
        "也可下载收据后运行 `carbon-gateway verify receipt.json --rpc URL`。",
    },
    "noscript": {
        Lang.EN: "Verification runs in your browser with JavaScript. Without it, download the receipt "
        "and run `carbon-gateway verify receipt.json --rpc URL`.",
        Lang.ZH: "验证需在浏览器中启用 JavaScript。"
        "否则请下载收据并运行 `carbon-gateway verify receipt.json --rpc URL`。",
    },
    "chain_node": {Lang.EN: "Chain JSON-RPC node", Lang.ZH: "链 JSON-RPC 节点"},
    "verify_button": {Lang.EN: "Verify", Lang.ZH: "验证"},
    "verifying": {Lang.EN: "Verifying…", Lang.ZH: "正在验证…"},
    "verified": {Lang.EN: "Verified", Lang.ZH: "验证通过"},
    "not_verified": {Lang.EN: "Not verified", Lang.ZH: "验证未通过"},
    "step_record": {Lang.EN: "The leaf records this settlement", Lang.ZH: "叶子记录的正是此笔结算"},
    "step_proof": {
        Lang.EN: "Leaf and inclusion proof lead to the root",
        Lang.ZH: "叶子与包含证明可推出根哈希",
    },
    "step_anchor": {Lang.EN: "The contract anchored that root", Lang.ZH: "合约已锚定该根哈希"},
    "step_confirmations": {Lang.EN: "Enough blocks on top", Lang.ZH: "区块确认数足够"},
    "record_mismatch": {
        Lang.EN: "the leaf does not record what this page shows",
        Lang.ZH: "叶子记录的内容与本页显示不符",
    },
    "paste_receipt": {
        Lang.EN: "Choose a receipt file, or paste its JSON:",
        Lang.ZH: "选择收据文件，或粘贴其 JSON：",
    },
    "bad_receipt": {Lang.EN: "this is not a settlement receipt", Lang.ZH: "这不是结算收据"},
    "consistency": {Lang.EN: "History check", Lang.ZH: "历史一致性检查"},
    "consistency_noscript": {
        Lang.EN: "With JavaScript, this page remembers the last tree head it showed you and proves that "
        "the log only grew since.",
        Lang.ZH: "启用 JavaScript 后，本页会记住上次显示的树头，并证明日志此后只增不改。",
    },
    "consistency_first": {
        Lang.EN: "First visit: this tree head is remembered in your browser, so a later visit can prove "
        "the log only grew.",
        Lang.ZH: "首次访问：已在浏览器中记住此树头，以便下次访问时证明日志只增不改。",
    },
    "consistency_same": {
        Lang.EN: "Same tree head as your last visit.",
        Lang.ZH: "与上次访问时的树头相同。",
    },
    "consistency_ok": {
        Lang.EN: "The log grew from size {old} to {new} without changing what you saw before "
        "(consistency proof checked).",
        Lang.ZH: "日志从 {old} 增长到 {new}，此前所见内容未被改动（一致性证明已验证）。",
    },
    "consistency_broken": {
        Lang.EN: "WARNING: the log's history was rewritten since your last visit: {why}",
        Lang.ZH: "警告：自上次访问以来日志历史已被改写：{why}",
    },
    "consistency_none": {Lang.EN: "No tree head is anchored yet.", Lang.ZH: "尚无已锚定的树头。"},
    "consistency_unreachable": {
        Lang.EN: "Could not check the history now: {why}",
        Lang.ZH: "暂时无法检查历史：{why}",
    },
    "root_changed": {
        Lang.EN: "the root of size {size} was {seen}, it is now {now}",
        Lang.ZH: "大小为 {size} 的树的根曾是 {seen}，现在是 {now}",
    },
    "log_shrank": {
        Lang.EN: "you saw {seen} settlements, the log now has {now}",
        Lang.ZH: "您曾看到 {seen} 笔结算，日志现在只有 {now} 笔",
    },
    "not_found": {Lang.EN: "Nothing found", Lang.ZH: "未找到"},
    "not_found_text": {
        Lang.EN: "No settled transfer, retirement certificate or settled serial matches {query}. "
        "Transfers still moving, refused or undone are not public.",
        Lang.ZH: "没有与 {query} 匹配的已结算转让、注销证书或已结算序列号。进行中、被拒或已撤销的转让不予公示。",
    },
    "trail": {Lang.EN: "Settlements of serial {query}", Lang.ZH: "序列号 {query} 的结算记录"},
    "page_not_found": {Lang.EN: "There is no such page.", Lang.ZH: "页面不存在。"},
    "bad_query": {Lang.EN: "Type something to look up.", Lang.ZH: "请输入查询内容。"},
    "too_long": {
        Lang.EN: "The search is at most {limit} characters long.",
        Lang.ZH: "查询内容最多 {limit} 个字符。",
    },
    "privacy_note": {
        Lang.EN: "Shown: registries, accounts, serials and times, which the anchored leaves commit to. "
        "Not shown: who submitted a transfer, who holds an account, or a beneficiary's name when they "
        "asked for privacy.",
        Lang.ZH: "公示内容：登记簿、账户、序列号与时间（锚定叶子所承诺的内容）。不公示：转让提交方、账户持有人，"
        "以及要求保密的受益方名称。",
    },
}


def word(key: str, lang: Lang, **values: object) -> str:
    """The word in `lang`, with `{name}` places filled."""
    text = WORDS[key][lang]
    return text.format(**values) if values else text


def lang_of(asked: str | None, accept_language: str | None) -> Lang:
    """`?lang=` when given, else the browser's first preference between the two, else English."""
    if asked in (Lang.EN.value, Lang.ZH.value):
        return Lang(asked)
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return Lang.ZH
        if tag.startswith("en"):
            return Lang.EN
    return Lang.EN


# The verifier's reasons (static/verify.js) by code, in Chinese; its `values` fill the places. In
# English a page shows the verifier's own words, which are ledger_anchor/verify.py's word for word.
REASONS_ZH: dict[str, str] = {
    "sizes-backwards": "无法证明大小为 {m} 的树与更小的大小 {n} 一致",
    "empty-tree-proof": "从空树出发的一致性证明必须为空",
    "extends-empty": "任何树都延续空树",
    "equal-sizes-proof": "大小同为 {m} 的两个树头之间的证明必须为空",
    "same-head": "大小为 {m} 的两个树头相同",
    "two-roots": "大小为 {m} 的树有两个不同的根",
    "consistency-proof": "从大小 {m} 到 {n} 的一致性证明无效（{detail}）",
    "old-root": "证明得出的旧根为 {got}，而非 {want}",
    "new-root": "证明得出的新根为 {got}，而非 {want}",
    "extends": "大小为 {n} 的树延续了大小为 {m} 的树",
    "invalid-receipt": "不是有效的结算收据（{detail}）",
    "inclusion-misfit": "包含证明与大小为 {size} 的树中的叶子 {index} 不符（{detail}）",
    "inclusion-root": "包含证明得出的根为 {got}，而非收据中的根 {root}",
    "in-tree": "叶子 {index} 在大小为 {size} 的树中",
    "chain-unreadable": "无法读取区块链（{detail}）",
    "wrong-chain": "节点服务于链 {got}，收据写的是链 {want}",
    "no-contract": "{address} 处没有合约",
    "never-anchored": "大小为 {size} 的树从未在 {address} 锚定",
    "other-root": "{address} 为大小 {size} 的树记录的根是 {got}，而非收据中的根 {want}",
    "other-block": "大小为 {size} 的树锚定于区块 {got}，而非区块 {want}",
    "no-transaction": "链上没有交易 {tx}",
    "reverted": "交易 {tx} 已回滚",
    "transaction-block": "交易 {tx} 位于区块 {got}，而非区块 {want}",
    "not-anchoring": "交易 {tx} 并未锚定大小为 {size} 的树",
    "anchored-by": "由交易 {tx} 锚定",
    "too-few-confirmations": "锚定交易有 {depth} 个确认，需要 {required} 个（或其区块已不在主链上）",
    "confirmations": "{depth} 个确认，需要 {required} 个",
    "verified": "叶子 {index} 在大小为 {size}、根为 {root} 的树中，由 {address} 锚定于链 {chain} 的区块 {block}"
    "（{depth} 个确认）",
}
