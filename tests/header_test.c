/* Built once per public header: each must compile on its own, as C99 with
 * -pedantic-errors and as C++. */
#include FLOWLOG_TEST_HEADER
#include FLOWLOG_TEST_HEADER

int main(void)
{
    return 0;
}
