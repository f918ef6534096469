"""A short story in three versions (en, vi, zh), one sentence per item, for the alignment tests."""

from __future__ import annotations

# A short story written for these tests, in three versions, one sentence per item.
# Sentence 7 is long and sentence 6 full of anchors: what a dropped or extra sentence
# leaves behind is then decidable from length and anchors alone (no lexicon, no MT).
EN = [
    "The city council approved a budget of 1,200 billion dong on Monday.",
    "The money will be used to build three new bridges over the Red River.",
    "Construction is expected to start in October 2025.",
    "Mayor Nguyen Van An said the bridges would cut travel time by 30 percent.",
    "Residents have complained about traffic jams for years.",
    "Some experts warned that the cost could rise.",
    "The World Bank has offered a loan of $200 million.",
    "A public hearing on the plan, which has divided residents of the districts along the river for months, will take place at the city hall next Friday.",
    "Critics asked why the plan was not discussed earlier.",
    "The council will publish the full plan on its website.",
]
VI = [
    "Hội đồng thành phố đã thông qua ngân sách 1.200 tỷ đồng vào thứ Hai.",
    "Số tiền này sẽ được dùng để xây ba cây cầu mới bắc qua sông Hồng.",
    "Việc xây dựng dự kiến bắt đầu vào tháng 10 năm 2025.",
    "Thị trưởng Nguyễn Văn An cho biết các cây cầu sẽ giảm 30% thời gian đi lại.",
    "Người dân đã phàn nàn về tình trạng ùn tắc giao thông trong nhiều năm.",
    "Một số chuyên gia cảnh báo rằng chi phí có thể tăng lên.",
    "Ngân hàng Thế giới (World Bank) đã đề nghị cho vay 200 triệu USD.",
    "Một buổi điều trần công khai về kế hoạch, vốn gây chia rẽ cư dân các quận ven sông trong nhiều tháng, sẽ diễn ra tại tòa thị chính vào thứ Sáu tới.",
    "Những người chỉ trích đặt câu hỏi tại sao kế hoạch không được thảo luận sớm hơn.",
    "Hội đồng sẽ công bố toàn bộ kế hoạch trên trang web của mình.",
]
ZH = [
    "市议会周一批准了12000亿越南盾的预算。",
    "这笔资金将用于在红河上修建三座新桥。",
    "工程预计于2025年10月开工。",
    "市长阮文安表示，这些桥梁将使出行时间缩短30%。",
    "多年来，居民一直抱怨交通拥堵。",
    "一些专家警告说，成本可能会上升。",
    "世界银行(World Bank)已提供2亿美元贷款。",
    "关于该计划的公开听证会将于下周五在市政厅举行，这项计划数月来一直让沿河各区的居民意见分歧。",
    "批评者质疑为什么该计划没有更早讨论。",
    "市议会将在其网站上公布完整计划。",
]
