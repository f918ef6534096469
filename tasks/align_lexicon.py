"""A small hand-written Vietnamese-English lexicon of common news vocabulary.

Written for newsbridge (not copied from any corpus): everyday words of news reports
(reporting verbs, politics, economy, law, disasters, health, sport, time, people). It is
one cue among several for aligning human versions (`tasks/align.py`), where a handful of
shared words per sentence pair is enough to tell a dropped sentence from its neighbour.
Format: one entry per line, `vietnamese phrase|english, english`.
"""

from __future__ import annotations

VI_EN = """
nói|said, say, says, told, tell
cho biết|said, says, told
cho rằng|said, argued, believe, suggested
tuyên bố|said, declared, statement, announced, claimed
phát biểu|said, speech, spoke, remarks
thông báo|announced, notice, informed, announcement
khẳng định|affirmed, insisted, confirmed, said
nhấn mạnh|stressed, emphasized, underlined
hỏi|asked, ask, question
trả lời|answered, replied, respond, response
bình luận|comment, commented, commentary
cảnh báo|warned, warning, alert
kêu gọi|called, urged, appeal
đề nghị|proposed, suggested, offered, request
yêu cầu|asked, demanded, request, required
xác nhận|confirmed, verified
phủ nhận|denied, deny
từ chối|refused, declined, denied
đồng ý|agreed, agree
phản đối|opposed, protest, objected
chỉ trích|criticized, criticised, critics, criticism
cáo buộc|accused, allegations, alleged, charges
báo cáo|report, reported
đưa tin|reported
theo|according, following
tin tức|news
báo chí|press, media
phóng viên|reporter, reporters, journalist
nhà báo|journalist, journalists
truyền thông|media, communications
tổng thống|president, presidential
thủ tướng|prime, minister, premier
bộ trưởng|minister, secretary
chính phủ|government
chính quyền|government, authorities, administration
nhà nước|state
quốc hội|parliament, congress, assembly
nghị sĩ|lawmaker, lawmakers, mp, senator
thượng nghị sĩ|senator, senators
hạ viện|house
thượng viện|senate
đảng|party
bầu cử|election, elections, vote
cử tri|voters, voter
bỏ phiếu|vote, voted, voting, ballot
ứng cử viên|candidate, candidates, nominee
chiến dịch|campaign
chính trị|political, politics
chính sách|policy, policies
luật|law, laws
dự luật|bill
hiến pháp|constitution
quốc gia|national, country, nation
đất nước|country, nation
quốc tế|international
thế giới|world, global
khu vực|region, area, regional
thành phố|city
thủ đô|capital
tỉnh|province
làng|village
người dân|people, residents, citizens
cư dân|residents
công dân|citizens, citizen
dân số|population
người|people, person, man
đàn ông|man, men
phụ nữ|women, woman
trẻ em|children, child, kids
con|child, children
gia đình|family, families
cha|father
mẹ|mother
vợ|wife
chồng|husband
bạn|friend, friends, you
học sinh|students, pupils
sinh viên|students, student
giáo viên|teacher, teachers
bác sĩ|doctor, doctors
bệnh nhân|patient, patients
cảnh sát|police, officers
quân đội|army, military, troops
binh sĩ|soldiers, troops
chiến tranh|war
quân sự|military
an ninh|security
tấn công|attack, attacked, assault
vụ nổ|explosion, blast
bom|bomb
súng|gun, guns
bắn|shot, shooting, fired
giết|killed, kill, murder
thiệt mạng|killed, died, dead
tử vong|died, death, deaths, dead
chết|died, dead, death
bị thương|injured, wounded, injuries
nạn nhân|victims, victim
thi thể|bodies, body
bắt giữ|arrested, detained, arrest
bắt|arrested, caught
tù|prison, jail
nhà tù|prison, jail
tòa án|court
thẩm phán|judge
luật sư|lawyer, lawyers, attorney
điều tra|investigation, investigate, investigators, probe
tội phạm|crime, criminal, criminals
tội|guilty, crime, charges
xét xử|trial
án|sentence, sentenced
kiện|sued, lawsuit, suing
bằng chứng|evidence
nhân chứng|witness, witnesses
kinh tế|economy, economic
thị trường|market, markets
công ty|company, firm, companies
doanh nghiệp|business, businesses, companies
ngân hàng|bank, banks
tiền|money, cash
giá|price, prices
thuế|tax, taxes, tariffs
thương mại|trade
xuất khẩu|exports, export
nhập khẩu|imports, import
đầu tư|investment, invest, investors
nhà đầu tư|investors
cổ phiếu|shares, stocks
lợi nhuận|profit, profits
doanh thu|revenue, sales
tăng|rose, increase, increased, rise, up
giảm|fell, decrease, reduced, cut, down, drop
tăng trưởng|growth
lạm phát|inflation
việc làm|jobs, employment
công nhân|workers
nhân viên|staff, employees, workers
lương|salary, wages, pay
ngân sách|budget
nợ|debt
khủng hoảng|crisis
dầu|oil
năng lượng|energy
điện|electricity, power
xe|car, vehicle
ô tô|car, cars
xe hơi|car, cars
máy bay|plane, aircraft, flight
tàu|ship, train, vessel
đường|road, street
cầu|bridge
sân bay|airport
bệnh viện|hospital
trường|school
trường học|school, schools
đại học|university, college
nhà|home, house
nhà ở|housing, homes
văn phòng|office
sức khỏe|health
bệnh|disease, illness, sick
y tế|health, medical
thuốc|drug, drugs, medicine
vắc xin|vaccine
ung thư|cancer
nghiên cứu|study, research, researchers
nhà khoa học|scientists
khoa học|science, scientific
chuyên gia|experts, expert, specialist
công nghệ|technology, tech
điện thoại|phone
internet|internet, online
mạng xã hội|social, media
video|video
ảnh|photo, image, picture
hình ảnh|images, pictures, photos
trang web|website
thông tin|information
dữ liệu|data
động đất|earthquake, quake
sóng thần|tsunami
bão|storm, hurricane, typhoon
lũ|flood, floods
lụt|flood, flooding
cháy|fire, blaze
hỏa hoạn|fire
thời tiết|weather
mưa|rain
nước|water, country
biển|sea, coast
sông|river
núi|mountain
rừng|forest
khí hậu|climate
môi trường|environment
ô nhiễm|pollution
thảm họa|disaster, tragedy
cứu hộ|rescue
cứu trợ|relief, aid
viện trợ|aid
tình nguyện viên|volunteers
trận đấu|match, game
đội|team
cầu thủ|player, players
huấn luyện viên|coach, manager
bóng đá|football, soccer
giải|tournament, prize, title
vô địch|champion, championship, title
thắng|won, win, victory, beat
chiến thắng|victory, win, won
thua|lost, defeat, lose
bàn thắng|goal, goals
mùa giải|season
người hâm mộ|fans
năm|year, years
tháng|month, months
tuần|week, weeks
ngày|day, days, date
giờ|hour, hours, time
phút|minute, minutes
hôm nay|today
hôm qua|yesterday
ngày mai|tomorrow
tuần trước|last, week
năm ngoái|last, year
sáng|morning
chiều|afternoon
tối|evening, night
đêm|night
thời gian|time
lần|time, times
đầu tiên|first
cuối cùng|last, final, finally
mới|new, recently
cũ|old, former
trước|before, previous, ago
sau|after, later
hiện nay|now, currently
hiện tại|current, currently, now
trong khi|while
tuy nhiên|however
nhưng|but
vì|because
nếu|if
khoảng|about, around
hơn|more, than
ít nhất|least
nhiều|many, much, lot
tất cả|all
một số|some
lớn|big, large, major
nhỏ|small
cao|high, tall
thấp|low
tốt|good, better
xấu|bad
quan trọng|important
khó khăn|difficult, hard
nguy hiểm|dangerous, danger
an toàn|safe, safety
vấn đề|issue, problem, matter
kế hoạch|plan, plans
dự án|project
chương trình|program, programme, show
hệ thống|system
tổ chức|organization, organisation, held, organized
hội nghị|conference
cuộc họp|meeting
gặp|met, meet, meeting
thảo luận|discuss, discussed, talks
đàm phán|negotiations, talks
thỏa thuận|agreement, deal
hiệp định|agreement, treaty
quan hệ|relations, relationship
hợp tác|cooperation
xung đột|conflict
hòa bình|peace
biểu tình|protest, protesters, rally, demonstration
người biểu tình|protesters
đám đông|crowd
quyền|rights, right
tự do|freedom, free
dân chủ|democracy, democratic, democrats
cộng hòa|republic, republican, republicans
lao động|labour, labor, work
quyết định|decision, decided
thay đổi|change, changed, changes
xây dựng|build, construction, built
phát triển|development, develop
sản xuất|production, produce, manufacturing
bán|sell, sold, sale
mua|buy, bought, purchase
trả|pay, paid
chi phí|cost, costs
phí|fee, fees
miễn phí|free
mất|lost, lose, loss
tìm thấy|found
tìm kiếm|search, looking
giúp|help, helped
sử dụng|use, used, using
làm việc|work, working, worked
sống|live, living, lived
đi|go, went
đến|arrived, come, came, reach
rời|left, leave
trở lại|return, back
bắt đầu|start, began, begin, started
kết thúc|end, ended, finish
tiếp tục|continue, continued
mở|open, opened
đóng cửa|closed, shut
gửi|sent, send
nhận|received, receive
viết|wrote, write, written
đọc|read
xem|watch, see, view
nghe|hear, heard, listen
biết|know, knew
nghĩ|think, thought
tin|believe, news
muốn|want, wanted
cần|need, needs
phải|must, have
có thể|could, can, may, might
sẽ|will, would
không|not, no
lịch sử|history, historic
văn hóa|culture, cultural
nghệ thuật|art, arts
âm nhạc|music
phim|film, movie
sách|book, books
ca sĩ|singer
diễn viên|actor, actress
ngôi sao|star
giải thưởng|award, prize
lễ hội|festival
du lịch|tourism, travel, tourists
khách du lịch|tourists
khách|guests, visitors, customers
thực phẩm|food
ăn|eat, ate, food
nông dân|farmers
nông nghiệp|agriculture, farming
Mỹ|us, america, american, united, states
Hoa Kỳ|us, united, states, america
Anh|britain, british, uk, england, english
Trung Quốc|china, chinese
Nhật Bản|japan, japanese
Hàn Quốc|korea, korean, south
Triều Tiên|north, korea, korean
Nga|russia, russian
Pháp|france, french
Đức|germany, german
Ấn Độ|india, indian
Việt Nam|vietnam, vietnamese
Liên Hợp Quốc|united, nations, un
Liên minh châu Âu|european, union, eu
châu Âu|europe, european
châu Á|asia, asian
châu Phi|africa, african
Nhà Trắng|white, house
đàn|herd, flock
động vật|animals, animal
chó|dog, dogs
mèo|cat, cats
chim|bird, birds
cá|fish
cây|tree, trees, plant
hoa|flowers, flower
đất|land, soil, ground
không khí|air
lửa|fire
ánh sáng|light
màu|color, colour
đỏ|red
xanh|green, blue
trắng|white
đen|black
vàng|gold, yellow
bạc|silver
đầu|head, first
mắt|eyes, eye
tay|hand, hands, arm
chân|leg, legs, foot
tim|heart
máu|blood
cơ thể|body
tuổi|age, aged, old, years
trẻ|young
già|old, elderly
sinh|born, birth
cưới|married, wedding
kết hôn|married, marriage
ly hôn|divorce
tình yêu|love
yêu|love, loved
ghét|hate
sợ|fear, afraid, scared
vui|happy, glad
buồn|sad
giận|angry
lo lắng|worried, concerned, concern
hy vọng|hope, hoped, hopes
ngạc nhiên|surprised, surprise
cảm thấy|feel, felt
cảm ơn|thank, thanks
xin lỗi|sorry, apologize, apologise, apology
giúp đỡ|help
ủng hộ|support, supported, supporters
người ủng hộ|supporters
lãnh đạo|leader, leaders, leadership, led
chủ tịch|chairman, president, chair
giám đốc|director, ceo, chief
giám đốc điều hành|ceo, chief, executive
quan chức|officials, official
người phát ngôn|spokesman, spokeswoman, spokesperson
đại diện|representative, represent, spokesperson
thành viên|member, members
nhóm|group, team
hội|association, society
cộng đồng|community
xã hội|society, social
dân tộc|ethnic, nation
tôn giáo|religion, religious
nhà thờ|church
chùa|pagoda, temple
vua|king
nữ hoàng|queen
hoàng gia|royal
hoàng tử|prince
công chúa|princess
đại sứ|ambassador
đại sứ quán|embassy
ngoại giao|diplomatic, foreign
ngoại trưởng|foreign, minister, secretary
biên giới|border
người nhập cư|immigrants, migrants
nhập cư|immigration
người tị nạn|refugees
tị nạn|asylum, refugee
hạt nhân|nuclear
tên lửa|missile, missiles
vũ khí|weapons, arms
trừng phạt|sanctions, punish
lệnh cấm|ban
cấm|ban, banned
cho phép|allow, allowed, permit
bảo vệ|protect, protection, defend, defense, defence
chống|against, anti
chống lại|against, fight
đấu tranh|fight, struggle
cứu|save, saved, rescue
nguy cơ|risk
rủi ro|risk
tai nạn|accident, crash
va chạm|collision, crash
mất tích|missing
sơ tán|evacuated, evacuation
mất điện|outage, power
hư hại|damage, damaged
thiệt hại|damage, losses
phá hủy|destroyed, destruction
xây|build, built
sửa chữa|repair
kiểm tra|check, test, inspection
xét nghiệm|test, tests, testing
dương tính|positive
âm tính|negative
điều trị|treatment, treated
chữa|cure, treat
phẫu thuật|surgery
mang thai|pregnant, pregnancy
em bé|baby
trẻ sơ sinh|babies, baby, newborn
ngủ|sleep
thức dậy|wake
ăn uống|eating, diet
rượu|alcohol, wine
bia|beer
thuốc lá|smoking, cigarettes, tobacco
ma túy|drugs
hút|smoke, smoking
nước ngoài|foreign, abroad
trong nước|domestic
địa phương|local
toàn cầu|global
nông thôn|rural
đô thị|urban
trung tâm|center, centre, central
phía bắc|north, northern
phía nam|south, southern
phía đông|east, eastern
phía tây|west, western
bắc|north, northern
nam|south, southern, male
đông|east, eastern, crowded
tây|west, western
trên|on, above, over
dưới|under, below
giữa|between, middle
gần|near, close, nearly
xa|far
cùng|same, together, with
khác|other, different, another
riêng|own, private, separate
chung|common, general, joint
công khai|public, publicly
công cộng|public
bí mật|secret, confidential
riêng tư|private, privacy
sự thật|truth, true
sai|wrong, false
đúng|right, correct, true
rõ ràng|clear, clearly
có lẽ|perhaps, maybe, probably
chắc chắn|sure, certain, certainly
thực sự|really, actually, real
đặc biệt|special, especially, particularly
thường|usually, often
luôn|always
không bao giờ|never
đã từng|ever, once
vẫn|still
chỉ|only, just
cũng|also, too
rất|very
quá|too
lại|again
nữa|more, again
ngay|immediately, right
sớm|soon, early
muộn|late
nhanh|fast, quick, quickly
chậm|slow
dài|long
ngắn|short
mạnh|strong, strongly
yếu|weak
giàu|rich, wealthy
nghèo|poor, poverty
đắt|expensive
rẻ|cheap
nóng|hot, heat
lạnh|cold
mùa hè|summer
mùa đông|winter
mùa xuân|spring
mùa thu|autumn, fall
cuối tuần|weekend
hàng năm|annual, annually, yearly
hàng ngày|daily, every, day
thế kỷ|century
thập kỷ|decade
triệu|million
tỷ|billion
nghìn|thousand
ngàn|thousand
phần trăm|percent, per, cent
nửa|half
gấp đôi|double, twice
số|number
số lượng|number, amount
mức|level, rate
tỷ lệ|rate, ratio, proportion
kết quả|result, results
nguyên nhân|cause
lý do|reason, reasons
mục tiêu|goal, target, aim
cơ hội|chance, opportunity
thách thức|challenge, challenges
thành công|success, successful
thất bại|failure, failed, defeat
lỗi|error, mistake, fault
câu hỏi|question, questions
câu trả lời|answer
ý kiến|opinion, views
quan điểm|view, views, stance
ý tưởng|idea
kinh nghiệm|experience
kỹ năng|skills
giáo dục|education
học|study, learn, learning
dạy|teach, teaching
thi|exam, competition
câu chuyện|story
bài viết|article, post
bài báo|article
tờ|newspaper
tạp chí|magazine
truyền hình|television, tv
đài|radio, station
mạng|network, online
tài khoản|account
mật khẩu|password
máy tính|computer
trí tuệ nhân tạo|artificial, intelligence, ai
robot|robot, robots
vệ tinh|satellite
không gian|space
mặt trăng|moon
mặt trời|sun, solar
trái đất|earth
hành tinh|planet
"""


def vi_en_lexicon() -> dict[str, list[str]]:
    """{Vietnamese phrase (as written; capitalised for proper names): English words}."""
    out: dict[str, list[str]] = {}
    for line in VI_EN.strip().splitlines():
        vi, _, en = line.partition("|")
        words = [w.strip() for w in en.split(",") if w.strip()]
        if vi.strip() and words:
            out.setdefault(vi.strip(), []).extend(words)
    return out
