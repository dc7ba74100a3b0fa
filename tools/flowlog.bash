# bash completion for flowlog: commands, each command's options, and the
# values an option takes where they are few. Installed as
# share/bash-completion/completions/flowlog.
_flowlog()
{
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}
    local reading="--format --input-format --max-line --max-fields --max-envelope --stop-on-error --stats --progress --no-mmap --threads --quiet --color"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "diagnose explain-rules query parse schema fields version help" -- "$cur"))
        return
    fi
    case $prev in
    --protocol) COMPREPLY=($(compgen -W "tcp udp icmp icmpv6" -- "$cur")); return ;;
    --partitions) COMPREPLY=($(compgen -W "hive date" -- "$cur")); return ;;
    --input-format) COMPREPLY=($(compgen -W "auto text s3 json cloudwatch csv" -- "$cur")); return ;;
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --fail-unless) COMPREPLY=($(compgen -W "no-traffic blocked return-blocked refused no-response established intermittent" -- "$cur")); return ;;
    --config|--temp-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --save-state|--load-state) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --client|--server|--port|--since|--until|--format|--max-line|--max-fields|--max-envelope|--bucket|--top|\
    --max-conversations|--max-memory|--ephemeral|--client-port|--icmp-type|--fail-when|--max-groups|\
    --max-query-length|--max-nesting|--table|--location|--interval|--count|--threads) return ;;
    esac
    local opts
    case $cmd in
    diagnose) opts="--client --server --port --protocol --since --until --json --bucket --config --ephemeral --fail-unless --save-state --load-state --top --max-conversations --max-memory $reading" ;;
    explain-rules) opts="--config --client --server --port --protocol --icmp-type --ephemeral --client-port --json" ;;
    query) opts="--json --ndjson --csv --chart --since --until --fail-when --follow --interval --count --max-memory --temp-dir --no-spill --max-groups --max-query-length --max-nesting $reading" ;;
    parse) opts="--context --since --until $reading" ;;
    schema) opts="--json --athena --parquet --duckdb --table --location --partitions" ;;
    fields) opts="--json" ;;
    *) opts="" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o filenames -F _flowlog flowlog
