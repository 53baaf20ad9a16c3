# bash completion for rmqadmin                                -*- shell-script -*-
# Subcommands come from `rmqadmin --list`, options from `rmqadmin SUB --help`,
# topics (after -t) from `rmqadmin topicList` when a name server is known.

_rmqadmin_namesrv()
{
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            -n | --namesrvAddr) echo "${COMP_WORDS[i + 1]}"; return ;;
            --namesrvAddr=*) echo "${COMP_WORDS[i]#*=}"; return ;;
        esac
    done
    echo "${NAMESRV_ADDR-}"
}

_rmqadmin()
{
    local cur prev words cword
    _init_completion -n = || return

    if ((cword == 1)); then
        COMPREPLY=($(compgen -W "$("$1" --list 2>/dev/null) --help --version" -- "$cur"))
        return
    fi

    local sub=${words[1]}
    case $prev in
        -t | --topic)
            [[ $sub == brokerConsumeStats ]] && return # -t is its timeout
            [[ $sub == updateAclConfig ]] && return    # -t is topicPerms
            local ns
            ns=$(_rmqadmin_namesrv)
            if [[ -n $ns ]]; then
                COMPREPLY=($(compgen -W "$(timeout 3 "$1" topicList -n "$ns" 2>/dev/null)" -- "$cur"))
            fi
            return
            ;;
        -p | --perm)
            if [[ $sub == updateTopicPerm || $sub == updateTopic ]]; then
                COMPREPLY=($(compgen -W "2 4 6" -- "$cur"))
                return
            fi
            if [[ $sub == printMsgByQueue ]]; then
                COMPREPLY=($(compgen -W "true false" -- "$cur"))
                return
            fi
            ;;
        --credentials | --tls-trust-cert | --tls-cert | --tls-key)
            _filedir
            return
            ;;
        --access-key | --secret-key)
            return
            ;;
        -o | -s | -m | -d)
            if [[ $sub == updateSubGroup || $sub == updateTopic || $sub == brokerConsumeStats ]]; then
                COMPREPLY=($(compgen -W "true false" -- "$cur"))
                return
            fi
            if [[ $sub == updateOrderConf && $prev == -m ]]; then
                COMPREPLY=($(compgen -W "put get delete" -- "$cur"))
                return
            fi
            if [[ $sub == printMsg || $sub == printMsgByQueue ]] && [[ $prev == -d ]]; then
                COMPREPLY=($(compgen -W "true false" -- "$cur"))
                return
            fi
            if [[ $sub == resetOffsetByTime && $prev == -s ]]; then
                COMPREPLY=($(compgen -W "now" -- "$cur"))
                return
            fi
            ;;
        -f | --force | --calculate)
            if [[ $sub == resetOffsetByTime || $sub == skipAccumulatedMessage ||
                $sub == printMsgByQueue ]]; then
                COMPREPLY=($(compgen -W "true false" -- "$cur"))
                return
            fi
            if [[ $sub == export* && $prev == -f ]]; then
                _filedir -d
                return
            fi
            ;;
        --dir)
            _filedir -d
            return
            ;;
    esac
    if [[ $cur == -* ]]; then
        local opts
        opts=$("$1" "$sub" --help 2>/dev/null | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-zA-Z-]*\).*/\2/p')
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    fi
} && complete -F _rmqadmin rmqadmin
