"""Follow-ups: which questions lean on the turn before, and what they are searched with."""

import pytest

from assistant.conversation import Turn, is_follow_up, read, referent
from assistant.text import fold
from assistant.types import REFUSAL

TOTTI = (
    "Cầu thủ nào của Italy bị treo giò trước trận gặp Thụy Điển tại Euro 2004?",
    "Totti bị treo giò vì nhổ nước bọt vào mặt Poulsen của Đan Mạch [1].",
)


@pytest.mark.parametrize(
    "question",
    [
        "Anh ấy phải làm khán giả bao nhiêu trận?",  # a pronoun with a demonstrative
        "Hành trình đó đi qua bao nhiêu tỉnh tất cả?",  # a noun with a demonstrative
        "Ông ta năm nay bao nhiêu tuổi theo cảnh sát Ý?",
        "Thế có nên cởi áo ra rồi treo vào tủ, để lâu mới giặt không?",  # an opening that continues
        "Còn thuốc mỡ thì tra mấy lần mỗi ngày?",
        "Còn Phó Chủ tịch thì sao?",  # short
        "Số Phó Chủ tịch UBND phường được bổ nhiệm trong đợt này ở quận Hoàn Kiếm thì sao?",
        "anh ay phai lam khan gia bao nhieu tran",  # typed without diacritics
        "hanh trinh do di qua bao nhieu tinh tat ca",
    ],
)
def test_a_question_pointing_back_is_a_follow_up(question):
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        "Thợ ảnh chụp lén ảnh khỏa thân ở Kỳ Anh có họ tên đầy đủ là gì?",  # "họ tên" is not "họ" (they)
        "Thể thao học đường ở quận Hoàn Kiếm được tổ chức vào tháng mấy?",  # "Thể" is not "Thế"
        "Báo cáo về tăng trưởng GDP tại Việt Nam do dự án nào công bố năm 2006?",  # "Việt Nam do": because of
        "gia vang trong nuoc nam nay tang bao nhieu phan tram so voi nam ngoai",  # "năm nay": this year
        "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường trong tháng 3?",
    ],
)
def test_a_question_standing_alone_is_not(question):
    assert not is_follow_up(question)


def test_a_follow_up_is_searched_with_the_question_before_and_its_answer_finds_one_more_passage():
    question = "Anh ấy phải làm khán giả bao nhiêu trận?"
    turn = read(question, [TOTTI])
    assert turn.question == f"{TOTTI[0]} {question}"
    # what it asks is its own question, about the man the answer named
    assert turn.focus == "Totti phải làm khán giả bao nhiêu trận?"
    # the answer names whom "anh ấy" means; it is searched apart, without its markers
    assert turn.context == f"{TOTTI[0]} Totti bị treo giò vì nhổ nước bọt vào mặt Poulsen của Đan Mạch. {question}"
    # typed without diacritics, the question before is read without them too
    assert read(fold(question), [TOTTI]).question == f"{fold(TOTTI[0])} {fold(question)}"
    # a question standing alone is searched as it is, and so is any question without history
    alone = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường trong tháng 3?"
    assert read(alone, [TOTTI]) == Turn(alone)
    assert read(question, []) == Turn(question)


def test_a_refusal_or_a_long_answer_adds_no_noise():
    question = "Anh ấy phải làm khán giả bao nhiêu trận?"
    assert read(question, [(TOTTI[0], REFUSAL)]).context is None
    long_answer = "Totti bị treo giò. " + "Một câu rất dài về trận đấu. " * 500
    context = read(question, [(TOTTI[0], long_answer)]).context
    assert context and len(context) < len(TOTTI[0]) + len(question) + 420
    assert fold(context).count("tran dau") < 20


def test_only_the_last_turn_is_read():
    earlier = ("Ai là trùm Mafia Sicily bị bắt hôm 11-4?", "Bernardo Provenzano [1].")
    turn = read("Anh ấy phải làm khán giả bao nhiêu trận?", [earlier, TOTTI])
    assert "Provenzano" not in turn.question + str(turn.context) and "Totti" in str(turn.context)


def test_whom_a_pronoun_means_is_the_first_new_name_of_the_answer():
    assert referent(TOTTI[1], TOTTI[0]) == "Totti"  # opening the sentence, but no Vietnamese syllable
    presided = "Chủ trì kỳ họp có đồng chí Vũ Đăng Định - Thành ủy viên, Bí thư Quận ủy [1]."
    assert referent(presided, "Ai chủ trì kỳ họp thứ 17?") == "Vũ Đăng Định"  # "Chủ" opens it: no name
    # a name the question already gave is not whom the follow-up means
    mafia = "Bernardo Provenzano, trùm Mafia Sicily, đã bị bắt tại đảo Sicily."
    assert referent(mafia, "Ai là trùm Mafia Sicily bị bắt hôm 11-4?") == "Bernardo Provenzano"
    assert referent("Sáng nay tòa xét xử vụ án.", "Vụ án xử khi nào?") is None
    history = [("Ai là trùm Mafia Sicily bị bắt hôm 11-4?", mafia)]
    assert read("ong ta nam nay bao nhieu tuoi", history).focus == "Bernardo Provenzano nam nay bao nhieu tuoi"
    assert read("Nguoi do lam nghe gi?", history).focus == "Bernardo Provenzano lam nghe gi?"
    # only the person the question is about: "Theo ông ấy" says who said it
    scramjet = ("Ai đứng đầu dự án Scramjet?", "Allan Paul, người đứng đầu dự án, cho biết còn quá sớm.")
    question = "Theo ông ấy, máy bay loại này có thể được đưa vào sử dụng khi nào?"
    assert read(question, [scramjet]).focus == question
    assert read("Ông ấy nói gì về tốc độ tên lửa?", [scramjet]).focus == "Allan Paul nói gì về tốc độ tên lửa?"
    # without a name in the answer, the follow-up keeps its own words
    assert read("Ông ấy năm nay bao nhiêu tuổi?", [(history[0][0], REFUSAL)]).focus == "Ông ấy năm nay bao nhiêu tuổi?"
