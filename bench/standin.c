/* Stand-in for an idle x2goagent in the bench: does nothing until killed.
 * Its name (comm) is x2goagent and its argv carries "-name X2GO-<sid>"
 * arguments, so both servers' liveness checks see a live agent. */
#include <unistd.h>
int main(void)
{
    for (;;)
        pause();
}
