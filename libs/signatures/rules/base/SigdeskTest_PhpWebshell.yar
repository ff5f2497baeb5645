rule SigdeskTest_PhpWebshell : test webshell
{
    meta:
        description = "Test family: a PHP web shell that evaluates request input"
        case = "baseline"
    strings:
        $php = "<?php" nocase
        $eval = /eval\s*\(\s*(base64_decode\s*\(\s*)?\$_(POST|GET|REQUEST)\[/ nocase
    condition:
        $php and $eval
}
