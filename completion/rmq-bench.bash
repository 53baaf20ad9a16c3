# bash completion for rmq-bench                               -*- shell-script -*-

_rmq_bench()
{
    local cur prev words cword
    _init_completion -n = || return

    case $prev in
        -m | --mode)
            COMPREPLY=($(compgen -W "sync async oneway batch" -- "$cur"))
            return
            ;;
        --credentials | --tls-trust-cert | --tls-cert | --tls-key)
            _filedir
            return
            ;;
        --access-key | --secret-key | \
            -n | --namesrvAddr | -t | --topic | -g | --group | -w | --threads | -s | --size | \
            -d | --duration | -b | --batch | -r | --rate | --window | -c | --count)
            return
            ;;
    esac
    if [[ $cur == -* ]]; then
        local opts
        opts=$("$1" --help 2>/dev/null | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-zA-Z-]*\).*/\2/p')
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -W "producer consumer latency" -- "$cur"))
} && complete -F _rmq_bench rmq-bench
