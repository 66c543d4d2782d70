/* The one CSV writer (core/csv.c): RFC 4180 quoting and formula defusing. */
#include "../test.h"

#include "../../core/csv.h"

static void check_field(const char *in, const char *want)
{
    struct sbuf b = {0};
    csv_field(&b, in);
    CHECK_STR(sbuf_str(&b), want);
    sbuf_free(&b);
}

TEST(plain_fields_stay_as_they_are)
{
    check_field("", "");
    check_field("alice", "alice");
    check_field("小红书 探店", "小红书 探店");
    check_field("a=b", "a=b"); /* only a leading sign is a formula */
}

TEST(quoting_per_rfc_4180)
{
    check_field("a,b", "\"a,b\"");
    check_field("say \"hi\"", "\"say \"\"hi\"\"\"");
    check_field("two\nlines", "\"two\nlines\"");
}

TEST(formulas_are_defused)
{
    check_field("=1+1", "\"'=1+1\"");
    check_field("+1 agreed", "\"'+1 agreed\"");
    check_field("-2+3", "\"'-2+3\"");
    check_field("@SUM(A1)", "\"'@SUM(A1)\"");
    check_field("\t=1", "\"'\t=1\"");
    check_field("\r=1", "\"'\r=1\"");
    check_field("=HYPERLINK(\"http://e\",\"c\")", "\"'=HYPERLINK(\"\"http://e\"\",\"\"c\"\")\"");
}

TEST(plain_numbers_are_not_formulas)
{
    check_field("-12.50", "-12.50");
    check_field("+5", "+5");
    check_field("-", "\"'-\"");
    check_field("-1.", "\"'-1.\"");
    check_field("-1e5", "\"'-1e5\"");
}

TEST(rows_join_fields_and_end_with_a_line_feed)
{
    struct sbuf b = {0};
    const char *const fields[] = {"=x", "1,5", "-3"};
    csv_row(&b, fields, 3);
    CHECK_STR(sbuf_str(&b), "\"'=x\",\"1,5\",-3\n");
    sbuf_free(&b);
}

TEST_MAIN(T(plain_fields_stay_as_they_are), T(quoting_per_rfc_4180), T(formulas_are_defused),
          T(plain_numbers_are_not_formulas), T(rows_join_fields_and_end_with_a_line_feed))
