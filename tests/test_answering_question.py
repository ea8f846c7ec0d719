"""Question analysis: the kind of answer asked for, English told from Vietnamese typed without
diacritics, and names in questions typed all in lower case."""

import pytest

from assistant.answering.question import answer_type, counted_unit, missing_names
from assistant.retrieval import Query
from assistant.text import is_english
from assistant.types import Passage


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Ai chủ trì kỳ họp thứ 17?", "person"),
        ("ai la chu tich ubnd phuong hang bai", "person"),
        ("Phạm Tuấn Long giữ chức vụ gì?", "role"),
        ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?", "number"),
        ("quan hoan kiem co may phong chuyen mon", "number"),
        ("Kỳ họp thứ 17 diễn ra vào ngày nào?", "date"),
        ("Khi nào các phòng chuyên môn đi vào hoạt động?", "date"),
        ("Trụ sở UBND quận Hoàn Kiếm ở đâu?", "place"),
        ("Vì sao phải sắp xếp lại các phòng chuyên môn?", "reason"),
        ("Quận triển khai mô hình chính quyền đô thị như thế nào?", "manner"),
        ("Kỳ họp thứ 17 bàn về những nội dung gì?", "content"),
        ("Chính quyền đô thị là gì?", "definition"),
        ("Ông Vũ Đăng Định có dự kỳ họp không?", "yesno"),
        ("How many ward chairpersons did Hoan Kiem district appoint?", "number"),
        ("Who chaired the 17th session?", "person"),
        ("When did the specialised departments start working?", "date"),
        # "<kind of person> nào" asks for a person, "<kind of organisation> nào" for its name
        ("Ban Chỉ đạo do Phó Thủ tướng nào làm trưởng ban?", "person"),
        ("Nhà nghiên cứu thần kinh học nào khẳng định điều này?", "person"),
        ("Vở kịch do đạo diễn nào dàn dựng?", "person"),
        ("Hãng lữ hành nước ngoài nào đã tổ chức chuyến đi?", "organization"),
        ("cuon sach do nha xuat ban nao phat hanh", "organization"),
        ("Bệnh viện nào tiếp nhận bệnh nhân?", "place"),
        # words spelled like question words once folded are not question words
        ("Ai là người điều khiển người máy ASIMO?", "person"),
        ("Dự án đầu tư gồm những hạng mục gì?", "content"),
        ("Honda bat dau nghien cuu nguoi may ASIMO tu nam nao?", "date"),
        # who a named person is: what she is ("đại diện các nhà nhập khẩu ..."), not a name
        ("Bà Brenda Jocobs, người cảnh báo nhiều doanh nghiệp dệt may có nguy cơ đóng cửa, là ai?", "role"),
        ("Cầu thủ bị treo giò bao lâu?", "number"),
        # a quotation is what was said, not what is asked
        ("Câu nói 'Yêu là không bao giờ phải nói hối tiếc' nổi tiếng từ bộ phim nào?", "organization"),
        ("Ai đã nói câu “không bao giờ bỏ cuộc”?", "person"),
        ("Bao giờ khởi công cầu Thủ Thiêm?", "date"),
        # typed without diacritics: "thi dau" is "thi đấu", not "đâu"; "bi thu hut" is not "bí thư"
        ("Indra Sahdan Daud thi dau cho CLB nao?", "organization"),
        ("tran dau dien ra o dau", "place"),
        # "đầu tiên", "đầu tư", "đậu nành": no "đâu" either
        ("Nha nghien cuu nao su dung tu oxi lan dau tien?", "person"),
        ("Quan ruou van hoc dau tien cua Warsaw la gi?", "definition"),
        ("Nganh san xuat dau nanh cua Brazil xep hang may tren the gioi?", "number"),
        ("Cong ty dau tu vao du an nao?", "content"),
        ("Cac che do dau tranh chong lai chu nghia de quoc van hoa bang cach nao?", "manner"),
        ("Tinh dau bac ha dung trong lieu trinh nay co tac dung gi?", "content"),
        # "xăng dầu", "giá dầu", "nhức đầu", "lần đầu": no "đâu" either
        ("Vi sao ho ngung buon lau xang dau sau 21 chuyen tau?", "reason"),
        ("Vi sao gia dau tang?", "reason"),
        ("Lan dau anh gap co ay o dau?", "place"),
        ("Hiep hoi Blu-Ray do hang nao cam dau?", "organization"),  # "cầm đầu"
        ("Lenovo tich hop cong nghe cua tap doan nao vao cac may ThinkPad?", "organization"),  # "các máy"
        ("Siêu máy tính Columbia được bán cho cơ quan nào?", "organization"),  # not "quận nào"
        ("Ba Brenda Jocobs, nguoi canh bao nhieu doanh nghiep det may co nguy co dong cua, la ai?", "role"),
        ("Muoi bi thu hut boi nhung chat nao trong mo hoi?", "content"),
        ("Dịch vụ được tung ra vào tháng mấy?", "date"),
        # "thứ mấy" is a weekday after "vào / là", otherwise a rank or an ordinal
        ("Kenya xếp thứ mấy trên thang đo năm 2012?", "number"),
        ("Mido bị thay ra ở phút thứ mấy?", "number"),
        # "khí nào" asks for a gas, not "khi nào"; "người cư xử theo cách nào" for a manner, not a person
        ("Loại khí nào đã làm lửa bùng phát trong cabin?", "content"),
        ("nhung khi nao duoc ban pha bang chum hat plasma", "content"),
        ("khi nao ky hop ket thuc", "date"),
        ("Tay đua nào thắng chặng 18 Tour de France 2004?", "person"),
        ("Brownlee cho rằng mọi người cư xử theo cách nào để được lắng nghe?", "manner"),
        # a score is a number: "tỷ số nào" asks for "3-1", not an organisation
        ("Đội nữ Thái Bình thắng với tỷ số nào?", "number"),
        ("doi nu thai binh thang ti so bao nhieu", "number"),
        ("Kỳ họp diễn ra vào thứ mấy?", "date"),
        ("hom nay la thu may", "date"),
        # "đơn vị nào" is an organisation, not "vị nào" (a person)
        ("Hội thảo tại TP HCM do đơn vị nào tổ chức?", "organization"),
        ("hoi thao do don vi nao to chuc", "organization"),
        ("Vị nào chủ trì kỳ họp?", "person"),
        # a proper name
        ("Vợ của nhạc sĩ tên là gì?", "name"),
        ("Chiếc phà chìm trên biển Đỏ mang tên gì?", "name"),
        ("Hạt Charleston thuộc bang nào của Mỹ?", "place"),
        ("Trận đấu diễn ra trên sân vận động nào?", "place"),
        # "là giai đoạn nào" asks for a span of years, "những giai đoạn nào" for the stages
        ("Nhiệm kỳ của HĐND quận là giai đoạn nào?", "date"),
        ("Theo ông, tình yêu có những giai đoạn nào?", "content"),
        ("HĐND phường ban hành kế hoạch chuyển đổi số giai đoạn nào?", "date"),
        ("Trẻ trải qua các giai đoạn nào?", "content"),
        # the first kind on each line of the lists counts too ("họa sĩ", "giám đốc", "kênh")
        ("Họa sĩ nào vẽ bức tranh này?", "person"),
        ("Giám đốc nào ký quyết định?", "person"),
        ("Kênh nào phát sóng trận đấu?", "organization"),
        ("Con bao nao co tac dong manh nhat?", "content"),  # "cơn bão nào", not "báo nào"
        # English: the first question word decides ("whose" later in the sentence does not)
        ("Where is the lab whose synthetic diamonds turned out harder than natural ones?", "place"),
        ("How fast can Honda's ASIMO robot move?", "number"),
        ("According to Brenda Jocobs, what rank does Vietnam hold among garment exporters?", "number"),
        ("What is the name of the ferry that sank in the Red Sea?", "name"),
        ("Does sweat itself cause acne during exercise?", "yesno"),
        ("Who is Pham Tuan Long?", "role"),  # what he is; "Who is the chairwoman ...?" asks for a name
        ("Who is the chairwoman of Hang Bai ward?", "person"),
        ("What are the specialised departments of the district?", "content"),  # a list, not a definition
        ("What is MDF board?", "definition"),
        # who a named person is: their titles, not a name; a title asked about still asks for the name
        ("Phạm Tuấn Long là ai?", "role"),
        ("pham tuan long la ai", "role"),
        ("Ulrich Bernier, người nghiên cứu vì sao muỗi đốt người, là ai?", "role"),
        ("Chủ tịch UBND phường Hàng Trống là ai?", "person"),
        ("pho chu tich hdnd quan la ai", "person"),
        ("Cha của vua Oyo xứ Toro là ai?", "person"),
    ],
)
def test_the_kind_of_answer_asked_for(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize(
    "question, unit",
    [
        ("Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch phường?", "chủ"),
        ("quan hoan kiem co may phuong", "phuong"),
        ("Công trình có công suất lắp máy bao nhiêu?", ""),  # "máy" is not "mấy"
        ("Ông ta đòi được chia bao nhiêu mỗi tàu?", ""),
        ("Biển Bắc khi đó thấp hơn bao nhiêu so với hiện nay?", ""),
        ("Phiếu bầu phải chiếm bao nhiêu để có hiệu lực?", ""),
    ],
)
def test_the_word_a_count_question_counts(question, unit):
    assert counted_unit(Query.of(question).tokens) == unit


def test_typed_without_diacritics_the_counted_word_is_read_as_restored():
    """Folded, "de" is the function word "để"; restored, "đề" (đề nghị) is what is counted."""
    typed = Query.of("co bao nhieu de nghi cho giai thuong").tokens
    assert counted_unit(typed) == ""
    assert counted_unit(typed, Query.of("có bao nhiêu đề nghị cho giải thưởng").tokens) == "de"
    assert counted_unit(typed, Query.of("có bao nhiêu để nghị cho giải thưởng").tokens) == ""


@pytest.mark.parametrize(
    "question",
    [
        "How many ward chairpersons did Hoan Kiem district appoint?",
        "Who chaired the 17th session of the district council?",
        "What did the session decide about the departments?",
    ],
)
def test_english_is_told_apart(question):
    assert is_english(question)


@pytest.mark.parametrize(
    "question",
    [
        "quan hoan kiem bo nhiem bao nhieu pho chu tich phuong",
        "chu tich ubnd phuong hang bai la ai",
        "Quận Hoàn Kiếm ở đâu?",
        "ky hop thu 17 dien ra ngay nao",
        "ubnd quan co bao nhieu phong",
        "Indra Sahdan Daud thi dau cho CLB nao?",  # foreign names, Vietnamese question words
        "dave parry giu chuc vu gi tai hang silicon graphics",
    ],
)
def test_vietnamese_with_or_without_diacritics_is_not_english(question):
    assert not is_english(question)


def test_a_lower_case_question_still_names_its_ward():
    text = "Chủ tịch UBND phường Hàng Bài Nguyễn Thị Ngọc Anh phát biểu."
    passages = [Passage("d", "t", "s", text, 0, len(text), 1.0)]
    # "hang trong" is a ward the passages do not name, while they name another ward: refused outright
    assert missing_names("chu tich ubnd phuong hang trong la ai", passages) == (True, True)
    assert missing_names("chu tich ubnd phuong hang bai la ai", passages) == (False, False)
    assert missing_names("chủ tịch ubnd phường hàng trống là ai", passages) == (True, True)


def test_a_lower_case_question_names_only_places_after_a_word_of_place():
    """After other words the next two syllables were taken for a name and, found in no passage, refused
    answerable questions outright: "hội đồng giáo sĩ Iran", "đỉnh Phanxipăng cuối năm"."""
    text = "Người đứng đầu Hội đồng Giáo sĩ Iran là Ayatollah Ali Janati, đỉnh Phanxipăng ở phường Sa Pa."
    passages = [Passage("d", "t", "s", text, 0, len(text), 1.0)]
    for question in (
        "nguoi dung dau hoi dong giao si iran la ai",  # "si iran", "iran la": no names
        "cuoc chinh phuc dinh phanxiphang cuoi nam 2003 nhan dip gi",
    ):
        assert missing_names(question, passages) == (False, False), question
    assert missing_names("phuong sa pa o dau", passages) == (False, False)
    assert missing_names("phuong lao cai o dau", passages) == (True, True)


def test_a_name_in_the_article_title_or_written_as_one_word_is_named():
    """The chunk found may not repeat the name its article is about, and "Nauy" is "Na Uy": both were
    refused outright as naming something no passage names."""
    text = "Album mới của chị mang tên Tình yêu. Các nhà khoa học Nauy vừa được cấp bằng sáng chế."
    passages = [Passage("d", "Phương Nga: 'Tình yêu nuôi dưỡng phần hồn'", "s", text, 0, len(text), 1.0)]
    assert missing_names("Album riêng của ca sĩ Phương Nga có tên là gì?", passages) == (False, False)
    assert missing_names("Các nhà khoa học Na Uy được cấp bằng sáng chế chưa?", passages) == (False, False)
    assert missing_names("Album riêng của ca sĩ Thu Minh có tên là gì?", passages)[0]


def test_a_one_word_name_the_passages_never_use_is_missing_but_not_another_of_its_kind():
    text = "Lũ lụt ở Hà Nội làm 5 người chết tại quận Hoàng Mai."
    passages = [Passage("d", "t", "s", text, 0, len(text), 1.0)]
    assert missing_names("Lũ lụt ở Huế làm bao nhiêu người chết?", passages) == (True, False)
    assert missing_names("Lũ lụt ở Hà Nội làm bao nhiêu người chết?", passages) == (False, False)
    assert missing_names("Hoàn Kiếm ở đâu?", passages) == (False, False)


def test_english_with_a_vietnamese_term_in_it_is_still_english():
    assert is_english("What is male andropause (tắc dục nam) according to Prof. Louis Gooren?")
    assert is_english("Where was schoolgirl Ha Thi Van Anh attacked?")
    assert not is_english("Ai là CEO của Microsoft?")


@pytest.mark.parametrize(
    "question, framing",
    [
        ("Kỳ họp thứ 17 bàn về những nội dung gì?", ["bàn", "về", "nội", "dung"]),
        ("ky hop thu 17 ban ve noi dung gi", ["ban", "ve", "noi", "dung"]),
        ("Nội dung của quyết định là gì?", []),  # here "nội dung" is what is asked about
        ("Thông tin về dự án được công bố khi nào?", []),
        # "diễn ra" frames a when/where question about the event before it, not what comes after
        ("Kỳ họp thứ 17 diễn ra vào ngày nào?", ["diễn", "ra"]),
        ("ky hop thu 17 dien ra o dau", ["dien", "ra"]),
        ("Nhà nghiên cứu nào nói nhịp thở diễn ra mạnh hơn?", []),
        # a title is answered by the title itself; a period by its years, stages by their names
        ("Nguyễn Thị Phương Chung giữ chức vụ gì?", ["giữ", "chức", "vụ"]),
        ("Nhiệm kỳ của HĐND quận là giai đoạn nào?", ["giai", "đoạn"]),
        ("Tình yêu có những giai đoạn nào?", []),
    ],
)
def test_words_that_only_frame_a_content_question_weigh_nothing(question, framing):
    """A meeting's contents are answered by "Kỳ họp thông qua ...", without "bàn" or "nội dung"."""
    from assistant.answering.terms import IdfTable, frame_positions
    from assistant.text import has_diacritics, syllables

    tokens = syllables(question)
    assert [tokens[i] for i in sorted(frame_positions(tokens))] == framing
    weights = IdfTable(10, {}, {}).term_weights(tokens, accented=has_diacritics(question))
    assert weights and not set(framing) & set(weights)


def test_the_kind_lists_hold_no_padding():
    """An entry written at a line's start with its indentation would never match ("    chủ tịch")."""
    from assistant.answering.features import INSTITUTION_WORDS, TITLE_WORDS
    from assistant.answering.question import ORGANIZATION_NOUNS, PERSON_NOUNS

    assert {"chủ tịch", "huấn luyện viên", "vua"} <= set(TITLE_WORDS)
    assert all(t == t.strip() and t for t in (*TITLE_WORDS, *INSTITUTION_WORDS))
    assert all(n == f" {n.strip()} " for n in (*PERSON_NOUNS, *ORGANIZATION_NOUNS))
