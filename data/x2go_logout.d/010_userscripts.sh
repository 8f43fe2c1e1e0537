# The user's own logout script, sourced when an X2Go session has ended.
if [ -f "$HOME/.x2go_logout" ] && [ -r "$HOME/.x2go_logout" ]; then
    . "$HOME/.x2go_logout" || :
fi
